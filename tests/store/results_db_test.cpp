// The run lifecycle: begin → setup → predictions (batched) → finish / interrupted / failed.
#include "store/results_db.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/machine_info.h"
#include "store/run_stamps.h"
#include "store/store_error.h"
#include "store_test_util.h"

namespace dbsa {
namespace {

using test::count_rows;
using test::make_prediction;
using test::make_run_info;

TEST(ResultsDb, RunRoundTripsEveryField) {
  auto file = test::scratch_dir("db_roundtrip") / "r.sqlite";
  ResultsDb db(file);
  RunInfo info = make_run_info("trec", "dbsa", 42);
  info.machine = collect_machine_info();
  int64_t id = db.begin_run(info);
  EXPECT_EQ(info.uuid.size(), 36u);
  EXPECT_FALSE(info.started_at.empty());
  db.record_setup(id, RunSetup{12.5, true, 1 << 20});
  PredictionRow p = make_prediction(0, true, -1);
  p.retrieval_seconds = 0.25;
  p.assembly_seconds = 0.5;
  p.forward_seconds = 1.0;
  p.decode_seconds = 2.0;
  db.add_prediction(id, p);
  db.add_prediction(id, make_prediction(1, false, 4.25));
  RunAggregates a = db.finish_run(id);
  EXPECT_EQ(a.n, 2);
  EXPECT_EQ(a.n_correct, 1);
  EXPECT_DOUBLE_EQ(a.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(a.query_mean_seconds, 4.0);  // 3.75 (sum of stages) and 4.25

  auto r = db.find_run(info.uuid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::Finished);
  EXPECT_FALSE(r->finished_at.empty());
  EXPECT_EQ(r->info.method, "dbsa");
  EXPECT_EQ(r->info.params.seed, 42);
  EXPECT_EQ(r->info.params.grouping, "balanced");
  EXPECT_EQ(r->info.params.order, "in-order");
  EXPECT_EQ(r->info.params.shard, "0/1");
  EXPECT_EQ(r->info.params.select, 2);
  EXPECT_EQ(r->info.tool_version, "v0.1.0-test");
  EXPECT_EQ(r->info.machine.cpu_cores, info.machine.cpu_cores);
  EXPECT_GT(r->info.machine.ram_bytes, 0);
  EXPECT_TRUE(r->setup.cache_hit);
  EXPECT_DOUBLE_EQ(r->setup.setup_seconds, 12.5);
  EXPECT_EQ(r->setup.kv_bytes, 1 << 20);
  EXPECT_EQ(nlohmann::json::parse(r->info.params_json).size(), 3u);

  auto preds = db.predictions(id);
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_DOUBLE_EQ(preds[0].total_seconds, 3.75);
  EXPECT_EQ(preds[0].selected_blocks, (std::vector<int>{0, 2}));
  EXPECT_EQ(preds[0].block_scores, (std::vector<double>{0.0, 1.5}));
  EXPECT_EQ(preds[0].retrieved_demos, (std::vector<int64_t>{41, 7, 1000000000007}));
  EXPECT_EQ(preds[0].demo_scores, (std::vector<double>{3.5, 2.25, 0.0}));
  EXPECT_EQ(preds[1].prediction, "NUM");
  EXPECT_FALSE(preds[1].correct);
}

TEST(ResultsDb, PredictionsAreWrittenInBatches) {
  auto file = test::scratch_dir("db_batches") / "r.sqlite";
  ResultsDb db(file);
  RunInfo info = make_run_info("trec", "dbsa");
  int64_t id = db.begin_run(info);
  const int64_t n = ResultsDb::kPredictionBatch + 5;
  for (int64_t i = 0; i < n; ++i) db.add_prediction(id, make_prediction(i, i % 2 == 0, 0.1));
  // One full batch is on disk, the rest waits for the next flush.
  EXPECT_EQ(test::raw_int(file, "SELECT count(*) FROM predictions"), int64_t(ResultsDb::kPredictionBatch));
  RunAggregates a = db.finish_run(id);
  EXPECT_EQ(a.n, n);
  EXPECT_EQ(test::raw_int(file, "SELECT count(*) FROM predictions"), n);
}

TEST(ResultsDb, InterruptedAndFailedRunsKeepRowsButNoAggregates) {
  auto file = test::scratch_dir("db_interrupted") / "r.sqlite";
  ResultsDb db(file);
  RunInfo a = make_run_info("trec", "dbsa");
  int64_t ia = db.begin_run(a);
  db.add_prediction(ia, make_prediction(0, true, 1));
  db.mark_interrupted(ia);
  RunInfo b = make_run_info("trec", "dbsa");
  int64_t ib = db.begin_run(b);
  db.mark_failed(ib, "model file vanished");
  EXPECT_EQ(db.find_run(a.uuid)->status, RunStatus::Interrupted);
  EXPECT_EQ(db.find_run(b.uuid)->status, RunStatus::Failed);
  EXPECT_EQ(db.find_run(b.uuid)->error, "model file vanished");
  EXPECT_EQ(db.predictions(ia).size(), 1u);
  EXPECT_FALSE(db.aggregates(ia).has_value());
  EXPECT_THROW(db.finish_run(ia), StoreError);  // an interrupted run cannot become finished
  EXPECT_THROW(db.mark_interrupted(ib), StoreError);
}

TEST(ResultsDb, InvalidUseIsRefused) {
  auto file = test::scratch_dir("db_invalid") / "r.sqlite";
  ResultsDb db(file);
  RunInfo bad = make_run_info("trec", "dbsa");
  bad.params_json = "[1, 2]";
  EXPECT_THROW(db.begin_run(bad), StoreError);
  bad.params_json = "{not json";
  EXPECT_THROW(db.begin_run(bad), StoreError);
  EXPECT_EQ(count_rows(db, "runs"), 0);

  RunInfo info = make_run_info("trec", "dbsa");
  int64_t id = db.begin_run(info);
  try {
    db.finish_run(id);
    ADD_FAILURE() << "finishing a run without predictions must fail";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("has no predictions"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.find_run(info.uuid)->status, RunStatus::Running);
  PredictionRow p = make_prediction(0, true, 1);
  p.block_scores = {1.0};
  EXPECT_THROW(db.add_prediction(id, p), StoreError);
  p = make_prediction(0, true, 1);
  p.demo_scores = {1.0};
  EXPECT_THROW(db.add_prediction(id, p), StoreError);
  RunInfo dup = make_run_info("trec", "dbsa");
  dup.uuid = info.uuid;
  EXPECT_THROW(db.begin_run(dup), StoreError);
  EXPECT_THROW(db.record_setup(id + 100, RunSetup{}), StoreError);
}

TEST(ResultsDb, DuplicateQueryIndexFailsTheFlush) {
  auto file = test::scratch_dir("db_dup_query") / "r.sqlite";
  ResultsDb db(file);
  RunInfo info = make_run_info("trec", "dbsa");
  int64_t id = db.begin_run(info);
  db.add_prediction(id, make_prediction(3, true, 1));
  db.add_prediction(id, make_prediction(3, true, 1));
  EXPECT_THROW(db.flush(), StoreError);
  EXPECT_EQ(count_rows(db, "predictions"), 0);  // the batch is all or nothing
}

TEST(RunStamps, UuidsAreV4AndDistinct) {
  std::string a = new_run_uuid(), b = new_run_uuid();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  EXPECT_EQ(utc_timestamp_now().size(), 24u);
  EXPECT_EQ(utc_timestamp_now().back(), 'Z');
}

}  // namespace
}  // namespace dbsa
