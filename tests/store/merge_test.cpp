// Merging shard databases: no duplicates, idempotent, finished results replace unfinished copies,
// bad sources leave the destination untouched.
#include "store/merge.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/report.h"
#include "store/results_db.h"
#include "store/store_error.h"
#include "store_test_util.h"

namespace dbsa {
namespace {

using test::count_rows;
using test::write_finished_run;

struct Shards {
  std::filesystem::path dir, a, b, dst;
};

Shards make_shards(const std::string& name) {
  Shards s;
  s.dir = test::scratch_dir(name);
  s.a = s.dir / "a.sqlite";
  s.b = s.dir / "b.sqlite";
  s.dst = s.dir / "all.sqlite";
  ResultsDb a(s.a), b(s.b);
  write_finished_run(a, "trec", "dbsa", {true, false}, {1, 2}, 5, 10);
  write_finished_run(a, "trec", "zero-shot", {false, false, true}, {0.1, 0.2, 0.3});
  write_finished_run(b, "trec", "dbsa", {true, true}, {3, 4}, 7, 10);
  return s;
}

TEST(Merge, CopiesRunsWithTheirRowsAndIsIdempotent) {
  Shards s = make_shards("merge_basic");
  auto stats = merge_into(s.dst, {s.a, s.b});
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].copied, 2);
  EXPECT_EQ(stats[1].copied, 1);
  ResultsDb dst(s.dst, OpenMode::ReadOnly);
  EXPECT_EQ(count_rows(dst, "runs"), 3);
  EXPECT_EQ(count_rows(dst, "predictions"), 7);
  EXPECT_EQ(count_rows(dst, "aggregates"), 3);

  auto again = merge_into(s.dst, {s.a, s.b, s.a});
  for (const MergeStats& m : again) {
    EXPECT_EQ(m.copied, 0);
    EXPECT_EQ(m.replaced, 0);
  }
  EXPECT_EQ(again[0].skipped, 2);
  ResultsDb after(s.dst, OpenMode::ReadOnly);
  EXPECT_EQ(count_rows(after, "runs"), 3);
  EXPECT_EQ(count_rows(after, "predictions"), 7);
  EXPECT_EQ(count_rows(after, "aggregates"), 3);

  // The merged report equals the one of both shards' runs together: dbsa runs 0.5 and 1.0.
  auto rows = build_report(after);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].runs, 2);
  EXPECT_DOUBLE_EQ(rows[0].accuracy_mean, 0.75);
  EXPECT_DOUBLE_EQ(rows[0].setup_seconds_mean, 6.0);
  EXPECT_DOUBLE_EQ(rows[0].query_p50_seconds, 2.5);

  // Every field survives the copy.
  ResultsDb a(s.a, OpenMode::ReadOnly);
  for (const RunRecord& r : a.runs()) {
    auto m = after.find_run(r.info.uuid);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->info.started_at, r.info.started_at);
    EXPECT_EQ(m->info.params_json, r.info.params_json);
    EXPECT_EQ(m->setup.setup_seconds, r.setup.setup_seconds);
    auto pa = a.predictions(r.id), pm = after.predictions(m->id);
    ASSERT_EQ(pa.size(), pm.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_EQ(pa[i].example_id, pm[i].example_id);
      EXPECT_EQ(pa[i].total_seconds, pm[i].total_seconds);
      EXPECT_EQ(pa[i].block_scores, pm[i].block_scores);
    }
  }
}

TEST(Merge, FinishedRunReplacesTheUnfinishedCopyMergedEarlier) {
  auto dir = test::scratch_dir("merge_replace");
  auto shard = dir / "shard.sqlite", dst = dir / "all.sqlite";
  ResultsDb writer(shard);
  RunInfo info = test::make_run_info("trec", "dbsa");
  int64_t id = writer.begin_run(info);
  writer.add_prediction(id, test::make_prediction(0, true, 1));
  writer.flush();
  auto first = merge_into(dst, {shard});  // merged while still running
  EXPECT_EQ(first[0].copied, 1);
  writer.add_prediction(id, test::make_prediction(1, false, 1));
  writer.finish_run(id);
  auto second = merge_into(dst, {shard});
  EXPECT_EQ(second[0].replaced, 1);
  ResultsDb all(dst, OpenMode::ReadOnly);
  EXPECT_EQ(count_rows(all, "runs"), 1);
  EXPECT_EQ(count_rows(all, "predictions"), 2);
  EXPECT_EQ(all.find_run(info.uuid)->status, RunStatus::Finished);
  EXPECT_EQ(merge_into(dst, {shard})[0].skipped, 1);
}

TEST(Merge, BadSourceLeavesDestinationUntouched) {
  Shards s = make_shards("merge_bad");
  std::ofstream(s.dir / "junk.sqlite") << "definitely not an SQLite database, just some text bytes\n";
  EXPECT_THROW(merge_into(s.dst, {s.a, s.dir / "junk.sqlite"}), StoreError);
  EXPECT_FALSE(std::filesystem::exists(s.dst));
  try {
    merge_into(s.dst, {s.a, s.dir / "missing.sqlite"});
    ADD_FAILURE() << "a missing source must fail";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.sqlite': no such file"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(s.dst));

  merge_into(s.dst, {s.b});
  EXPECT_THROW(merge_into(s.dst, {s.a, s.dst}), StoreError);  // into itself
  ResultsDb dst(s.dst, OpenMode::ReadOnly);
  EXPECT_EQ(count_rows(dst, "runs"), 1);
}

TEST(Merge, OlderSourceIsMigratedWithoutBeingModified) {
  auto dir = test::scratch_dir("merge_v1");
  auto old = dir / "old.sqlite";
  {
    ResultsDb db(old);
    write_finished_run(db, "trec", "dbsa", {true}, {1});
  }
  // Turn it into what v1 wrote: no percentile columns (v2), no retrieved demos (v3), no run owner (v4),
  // version 1.
  test::raw_sql(
      old,
      "DROP INDEX runs_by_dataset_method; ALTER TABLE aggregates DROP COLUMN query_p50_seconds; "
      "ALTER TABLE aggregates DROP COLUMN query_p95_seconds; "
      "ALTER TABLE predictions DROP COLUMN retrieved_demos; "
      "ALTER TABLE predictions DROP COLUMN demo_scores; ALTER TABLE runs DROP COLUMN owner_boot_id; "
      "ALTER TABLE runs DROP COLUMN owner_pid; ALTER TABLE runs DROP COLUMN owner_start_ticks; "
      "PRAGMA user_version = 1;");
  auto stats = merge_into(dir / "all.sqlite", {old});
  EXPECT_EQ(stats[0].copied, 1);
  EXPECT_EQ(test::raw_int(old, "PRAGMA user_version"), 1);
  EXPECT_EQ(test::raw_int(dir / "all.sqlite", "SELECT query_p50_seconds FROM aggregates"), 1);
  EXPECT_EQ(
      test::raw_int(dir / "all.sqlite", "SELECT count(*) FROM predictions WHERE retrieved_demos = '[]'"), 1);
  EXPECT_EQ(test::raw_int(dir / "all.sqlite", "SELECT owner_pid FROM runs"), 0);  // unknown: not recorded
}

}  // namespace
}  // namespace dbsa
