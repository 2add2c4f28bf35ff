// Report arithmetic against the hand-computed values of report_fixture.h.
#include "store/report.h"

#include <gtest/gtest.h>

#include "engine/block_layout.h"
#include "report_fixture.h"
#include "store/run_filter.h"

namespace dbsa {
namespace {

TEST(Report, AmortizedLatency) {
  EXPECT_DOUBLE_EQ(amortized_seconds_per_query(10, 0.5, 100), 0.6);
  EXPECT_DOUBLE_EQ(amortized_seconds_per_query(10, 0.5, 100000), 0.5001);
  EXPECT_DOUBLE_EQ(amortized_seconds_per_query(0, 0.5, 1), 0.5);
}

TEST(Report, RowsMatchHandComputedValuesAndCountOnlyFinishedRuns) {
  auto file = test::scratch_dir("report_rows") / "r.sqlite";
  ResultsDb db(file);
  test::fill_report_fixture(db);
  auto rows = build_report(db);
  ASSERT_EQ(rows.size(), 3u);

  EXPECT_EQ(rows[0].dataset, "banking77");
  EXPECT_EQ(rows[0].method, "zero-shot");
  EXPECT_EQ(rows[0].accuracy_mean, 0.0);
  EXPECT_FALSE(rows[0].accuracy_ratio_to_best.has_value());
  EXPECT_DOUBLE_EQ(rows[0].query_mean_seconds, 0.02);

  const ReportRow& d = rows[1];
  EXPECT_EQ(d.dataset, "trec");
  EXPECT_EQ(d.method, "dbsa");
  EXPECT_EQ(d.config, "");
  EXPECT_EQ(d.runs, 3);  // not the interrupted nor the running one
  EXPECT_EQ(d.queries, 12);
  EXPECT_EQ(d.cache_hits, 0);
  EXPECT_DOUBLE_EQ(d.accuracy_mean, 0.75);
  EXPECT_DOUBLE_EQ(d.accuracy_std, 0.25);
  ASSERT_TRUE(d.accuracy_ratio_to_best.has_value());
  EXPECT_DOUBLE_EQ(*d.accuracy_ratio_to_best, 0.75);
  EXPECT_DOUBLE_EQ(d.setup_seconds_mean, 20.0);
  EXPECT_NEAR(d.query_mean_seconds, 0.65, 1e-12);
  EXPECT_NEAR(d.query_p50_seconds, 0.65, 1e-12);
  EXPECT_NEAR(d.query_p95_seconds, 1.145, 1e-12);
  EXPECT_DOUBLE_EQ(d.kv_bytes_mean, 100.0);
  EXPECT_NEAR(d.amortized_seconds_n100, 0.85, 1e-12);
  EXPECT_NEAR(d.amortized_seconds_n100000, 0.6502, 1e-12);

  const ReportRow& f = rows[2];
  EXPECT_EQ(f.method, "full-icl");
  EXPECT_EQ(f.runs, 1);  // the failed run is not counted
  EXPECT_DOUBLE_EQ(f.accuracy_mean, 1.0);
  EXPECT_EQ(f.accuracy_std, 0.0);
  EXPECT_DOUBLE_EQ(*f.accuracy_ratio_to_best, 1.0);
  EXPECT_DOUBLE_EQ(f.query_p50_seconds, 3.0);
  EXPECT_DOUBLE_EQ(f.query_p95_seconds, 3.9);  // 2 + 0.95 × 2
  EXPECT_DOUBLE_EQ(f.kv_bytes_mean, 5000.0);
}

TEST(Report, ByConfigSplitsRowsOfASweep) {
  auto file = test::scratch_dir("report_config") / "r.sqlite";
  ResultsDb db(file);
  test::write_finished_run(db, "trec", "dbsa", {true, false}, {1, 1});
  RunInfo sink0 = test::make_run_info("trec", "dbsa");
  sink0.params.sink = 0;
  int64_t id = db.begin_run(sink0);
  db.add_prediction(id, test::make_prediction(0, false, 1));
  db.finish_run(id);

  auto merged = build_report(db);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].runs, 2);
  EXPECT_DOUBLE_EQ(merged[0].accuracy_mean, 0.25);

  ReportOptions by_config;
  by_config.by_config = true;
  auto split = build_report(db, by_config);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].config,
            "blocks=4 demos=10 select=2 sink=0 prev=2 grouping=balanced order=in-order test=20");
  EXPECT_DOUBLE_EQ(split[0].accuracy_mean, 0.0);
  EXPECT_DOUBLE_EQ(split[1].accuracy_mean, 0.5);
  EXPECT_DOUBLE_EQ(*split[1].accuracy_ratio_to_best, 1.0);
  EXPECT_DOUBLE_EQ(*split[0].accuracy_ratio_to_best, 0.0);

  // A configuration filter keeps exactly the runs whose configuration text is the one --by-config wrote;
  // a run filter keeps the runs named by id.
  ReportOptions one_config;
  one_config.filter.config = split[0].config;
  auto kept = build_report(db, one_config);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].runs, 1);
  EXPECT_DOUBLE_EQ(kept[0].accuracy_mean, 0.0);
  ReportOptions first_run;
  first_run.filter.runs = {1};
  kept = build_report(db, first_run);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_DOUBLE_EQ(kept[0].accuracy_mean, 0.5);
  ReportOptions no_run;
  no_run.filter.runs = {7};
  EXPECT_TRUE(build_report(db, no_run).empty());
}

TEST(RunFilter, ParsesRunIdsAndSaysWhatItKeeps) {
  EXPECT_EQ(parse_run_ids("3,1,3", "--runs"), (std::set<int64_t>{1, 3}));
  for (const char* bad : {"", "1,,2", "x", "0", "-2", "1.5", "2 "}) {
    try {
      parse_run_ids(bad, "--runs");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--runs: expected run ids"), std::string::npos) << e.what();
    }
  }
  RunFilter f;
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.describe(), "");
  f.model = "m.gguf";
  f.runs = {4, 2};
  EXPECT_EQ(f.describe(), "model 'm.gguf', runs 2, 4");
  RunInfo info;
  info.model_path = "/x/m.gguf";
  EXPECT_TRUE(f.matches(2, info));
  EXPECT_FALSE(f.matches(3, info));
  f.config = run_config_text(info.params);
  EXPECT_TRUE(f.matches(4, info));
  info.params.prev = kAllBlocks;
  EXPECT_FALSE(f.matches(4, info));
  EXPECT_NE(run_config_text(info.params).find("prev=all"), std::string::npos) << run_config_text(info.params);
}

TEST(RunRecord, PresetIsReadFromTheRunParameters) {
  RunInfo info;
  EXPECT_EQ(run_preset(info), "");
  info.params_json = R"({"preset":"paper-30k","blocks":8})";
  EXPECT_EQ(run_preset(info), "paper-30k");
  info.params_json = R"({"preset":""})";
  EXPECT_EQ(run_preset(info), "");
  info.params_json = "not json";
  EXPECT_EQ(run_preset(info), "");
}

TEST(Report, EmptyDatabaseHasNoRows) {
  auto file = test::scratch_dir("report_empty") / "r.sqlite";
  ResultsDb db(file);
  EXPECT_TRUE(build_report(db).empty());
}

// Runs of two models are never pooled: every (dataset, method) has a row per model, "% of best" is
// within one model, and --model keeps one model's rows (by file name, path or fingerprint prefix).
TEST(Report, RunsOfDifferentModelsGetTheirOwnRows) {
  ResultsDb db(test::scratch_dir("report_two_models") / "r.sqlite");
  test::write_finished_run(db, "trec", "dbsa", {true, true, false, false}, {0.1, 0.2, 0.3, 0.4}, 1, 10,
                           "/m/small.gguf", "aaaaaaaaaaaa1111");
  test::write_finished_run(db, "trec", "zero-shot", {true, false, false, false}, {0.1, 0.1, 0.1, 0.1}, 0, 0,
                           "/m/small.gguf", "aaaaaaaaaaaa1111");
  test::write_finished_run(db, "trec", "dbsa", {true, true, true, true}, {5.0, 5.0, 5.0, 5.0}, 9, 10,
                           "/m/big.gguf", "bbbbbbbbbbbb2222");
  const auto rows = build_report(db);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].model, "big.gguf");
  EXPECT_EQ(rows[0].method, "dbsa");
  EXPECT_DOUBLE_EQ(rows[0].accuracy_mean, 1.0);
  EXPECT_DOUBLE_EQ(rows[0].query_mean_seconds, 5.0);
  EXPECT_EQ(rows[1].model, "small.gguf");
  EXPECT_EQ(rows[1].method, "dbsa");
  EXPECT_DOUBLE_EQ(rows[1].accuracy_mean, 0.5);
  EXPECT_NEAR(rows[1].query_mean_seconds, 0.25, 1e-12);
  ASSERT_TRUE(rows[1].accuracy_ratio_to_best.has_value());
  EXPECT_DOUBLE_EQ(*rows[1].accuracy_ratio_to_best, 1.0);  // the best of small.gguf, not of big.gguf
  EXPECT_EQ(rows[2].model_fingerprint, "aaaaaaaaaaaa1111");
  for (const std::string& filter :
       {std::string("small.gguf"), std::string("/m/small.gguf"), std::string("aaaaaaaa")}) {
    ReportOptions o;
    o.filter.model = filter;
    const auto one = build_report(db, o);
    ASSERT_EQ(one.size(), 2u) << filter;
    for (const auto& r : one) EXPECT_EQ(r.model, "small.gguf") << filter;
  }
  ReportOptions none;
  none.filter.model = "aaaa";  // too short a fingerprint prefix to match
  EXPECT_TRUE(build_report(db, none).empty());
}

}  // namespace
}  // namespace dbsa
