// Concurrent writers on one file (the GUI and CLI shards do this): every row lands, nobody sees
// SQLITE_BUSY, and a reader never counts a half-written run.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/report.h"
#include "store/results_db.h"
#include "store_test_util.h"

namespace dbsa {
namespace {

constexpr int kRunsPerWriter = 20;
constexpr int kQueriesPerRun = 64;

// Returns the number of errors seen (each writer opens its own connection, as separate processes do).
int write_runs(const std::filesystem::path& file, const std::string& method) {
  try {
    ResultsDb db(file);
    for (int r = 0; r < kRunsPerWriter; ++r) {
      RunInfo info = test::make_run_info("trec", method, r);
      int64_t id = db.begin_run(info);
      db.record_setup(id, RunSetup{1.0, false, 100});
      for (int q = 0; q < kQueriesPerRun; ++q) {
        db.add_prediction(id, test::make_prediction(q, q % 4 != 0, 0.01));
        if (q % 4 == 3) db.flush();  // many small transactions, to interleave with the other writer
      }
      db.finish_run(id);
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << method << ": " << e.what();
    return 1;
  }
  return 0;
}

TEST(Concurrency, TwoThreadsWriteTheSameNewFile) {
  auto file = test::scratch_dir("conc_threads") / "r.sqlite";
  std::atomic<int> errors{0};
  // Both start on a file that does not exist yet: creation and migration race too.
  std::thread a([&] { errors += write_runs(file, "dbsa"); });
  std::thread b([&] { errors += write_runs(file, "full-icl"); });
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  ResultsDb db(file, OpenMode::ReadOnly);
  EXPECT_EQ(test::count_rows(db, "runs"), 2 * kRunsPerWriter);
  EXPECT_EQ(test::count_rows(db, "predictions"), 2 * kRunsPerWriter * kQueriesPerRun);
  EXPECT_EQ(test::count_rows(db, "aggregates"), 2 * kRunsPerWriter);
}

TEST(Concurrency, ForkedChildProcessAndParentWriteAtOnceWhileReportsRead) {
  auto file = test::scratch_dir("conc_fork") / "r.sqlite";
  { ResultsDb create(file); }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(write_runs(file, "cached-icl"));
  int errors = write_runs(file, "dbsa");
  // A reader during the writes: every counted run is complete (accuracy 0.75 by construction).
  {
    ResultsDb reader(file, OpenMode::ReadOnly);
    for (const ReportRow& row : build_report(reader)) {
      EXPECT_DOUBLE_EQ(row.accuracy_mean, 0.75);
      EXPECT_EQ(row.queries, row.runs * kQueriesPerRun);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(errors, 0);
  ResultsDb db(file, OpenMode::ReadOnly);
  EXPECT_EQ(test::count_rows(db, "runs"), 2 * kRunsPerWriter);
  EXPECT_EQ(test::count_rows(db, "predictions"), 2 * kRunsPerWriter * kQueriesPerRun);
  auto rows = build_report(db);
  ASSERT_EQ(rows.size(), 2u);
  for (const ReportRow& row : rows) EXPECT_EQ(row.runs, kRunsPerWriter);
}

}  // namespace
}  // namespace dbsa
