// Runs left "running" by a process that is gone are told apart from runs in progress: by pid,
// process start time and boot id on the machine that wrote them, never guessed for another machine.
#include "store/run_owner.h"

#include <gtest/gtest.h>

#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "store/machine_info.h"
#include "store/report.h"
#include "store/report_format.h"
#include "store_test_util.h"

namespace dbsa {
namespace {

RunInfo local_run(const std::string& method) {
  RunInfo info = test::make_run_info("trec", method);
  info.machine = collect_machine_info();
  return info;
}

TEST(RunOwner, ThisProcessIsAliveADeadOneIsGoneAnotherMachineIsUnknown) {
  const RunOwner me = this_process_owner();
  const std::string host = collect_machine_info().hostname;
  EXPECT_EQ(me.pid, static_cast<int64_t>(::getpid()));
  EXPECT_GT(me.start_ticks, 0);
  EXPECT_FALSE(me.boot_id.empty());
  EXPECT_EQ(owner_state(me, host), OwnerState::Alive);
  EXPECT_EQ(owner_state(me, host + "-elsewhere"), OwnerState::Unknown);
  EXPECT_EQ(owner_state(RunOwner{}, host), OwnerState::Unknown);  // an older database recorded nothing

  RunOwner reused = me;  // the same pid, started at another time: a later process reusing the pid
  reused.start_ticks += 1;
  EXPECT_EQ(owner_state(reused, host), OwnerState::Gone);
  RunOwner rebooted = me;
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(owner_state(rebooted, host), OwnerState::Gone);

  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  RunOwner dead = me;
  dead.pid = child;
  EXPECT_EQ(owner_state(dead, host), OwnerState::Gone);
}

TEST(RunOwner, AKilledWriterLeavesARunThatReportAndStatusCallAbandoned) {
  const auto file = test::scratch_dir("run_owner") / "results.sqlite";
  {
    ResultsDb db(file, OpenMode::Create);
    RunInfo finished = local_run("dbsa");
    const int64_t id = db.begin_run(finished);
    db.add_prediction(id, test::make_prediction(0, true, 0.1));
    db.finish_run(id);
  }
  // A child process begins a run and dies without finishing it (as kill -9 would leave it).
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      ResultsDb db(file, OpenMode::Create);
      RunInfo info = local_run("full-icl");
      const int64_t id = db.begin_run(info);
      db.add_prediction(id, test::make_prediction(0, false, 0.2));
      db.flush();
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);

  ResultsDb db(file, OpenMode::Create);
  RunInfo mine = local_run("retrieval-icl");  // in progress, by this live process
  const int64_t live = db.begin_run(mine);
  const auto runs = db.runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(run_status_text(runs[0]), "finished");
  EXPECT_EQ(run_status_text(runs[1]), "abandoned");
  EXPECT_EQ(runs[1].info.owner.pid, static_cast<int64_t>(child));
  EXPECT_EQ(run_status_text(runs[2]), "running");
  const auto abandoned = abandoned_runs(db);
  ASSERT_EQ(abandoned.size(), 1u);
  EXPECT_EQ(abandoned[0].info.method, "full-icl");
  const std::string note = abandoned_runs_note(abandoned);
  EXPECT_NE(note.find("1 run was abandoned"), std::string::npos) << note;
  EXPECT_NE(note.find("run 2 full-icl on trec"), std::string::npos) << note;
  EXPECT_NE(note.find("by process " + std::to_string(child)), std::string::npos) << note;
  EXPECT_NE(report_json(build_report(db), abandoned).find("\"abandoned_runs\": [\n    {\n      \"id\": 2"),
            std::string::npos);
  EXPECT_EQ(abandoned_runs_note({}), "");
  db.mark_interrupted(live);
}

}  // namespace
}  // namespace dbsa
