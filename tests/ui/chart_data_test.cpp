// The numbers behind each chart kind, recomputed by hand from the runs of chart_test_db.h.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "chart_test_db.h"
#include "store/chart_data.h"

namespace dbsa::ui {
namespace {

using test::kMiB;

class ChartDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { file_ = new std::filesystem::path(test::write_chart_test_db("chart_data")); }
  static void TearDownTestSuite() { delete file_; }
  ChartData data(ChartKind k, const std::optional<std::string>& dataset = "trec") {
    ResultsDb db(*file_, OpenMode::ReadOnly);
    return build_chart_data(db, k, dataset);
  }
  static std::vector<std::string> names(const ChartData& d) {
    std::vector<std::string> v;
    for (const auto& s : d.series) v.push_back(s.name);
    return v;
  }
  static std::filesystem::path* file_;
};
std::filesystem::path* ChartDataTest::file_ = nullptr;

double sample_std(std::vector<double> v) {
  double m = 0;
  for (double x : v) m += x / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

const std::vector<std::string> kMethods{"dbsa", "full-icl", "zero-shot"};

TEST(ChartKindTest, NamesRoundTripAndUnknownKindListsTheValidOnes) {
  for (const auto& n : chart_kind_names()) EXPECT_EQ(chart_kind_name(parse_chart_kind(n)), n);
  EXPECT_EQ(chart_kind_names().size(), 5u);
  try {
    parse_chart_kind("pie");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "unknown chart kind 'pie' (expected one of: accuracy, latency-total, latency-query, storage, "
        "accuracy-vs-context)");
  }
}

TEST(ChartKindTest, PaperMethodsComeFirstInPaperOrder) {
  EXPECT_LT(method_rank("dbsa"), method_rank("full-icl"));
  EXPECT_LT(method_rank("retrieval-icl"), method_rank("zero-shot"));
  EXPECT_LT(method_rank("finetuned"), method_rank("my-method"));
  EXPECT_EQ(method_rank("my-method"), method_rank("other"));
}

TEST(ChartKindTest, RequestCountsSpanOneToOneHundredThousandOnALogGrid) {
  auto n = request_counts();
  ASSERT_EQ(n.size(), 51u);
  EXPECT_EQ(n.front(), 1);
  EXPECT_EQ(n[10], 10);
  EXPECT_EQ(n[30], 1000);
  EXPECT_EQ(n.back(), 100000);
  for (size_t i = 1; i < n.size(); ++i) EXPECT_NEAR(n[i] / n[i - 1], std::pow(10.0, 0.1), 1e-3);
}

TEST_F(ChartDataTest, AccuracyBarsPerDatasetWithStdWhiskers) {
  ChartData d = data(ChartKind::Accuracy, std::nullopt);
  EXPECT_EQ(d.style, ChartStyle::Bars);
  EXPECT_EQ(d.categories, (std::vector<std::string>{"sst2", "trec"}));
  ASSERT_EQ(names(d), kMethods);  // the running/interrupted retrieval-icl runs are not counted
  const ChartSeries& dbsa = d.series[0];
  ASSERT_EQ(dbsa.x, (std::vector<double>{0, 1}));
  EXPECT_NEAR(dbsa.y[0], 75.0, 1e-9);  // sst2: one run, 3/4
  EXPECT_NEAR(dbsa.err_plus[0], 0.0, 1e-12);
  EXPECT_NEAR(dbsa.y[1], 100 * (0.75 + 1 + 1) / 3, 1e-9);
  EXPECT_NEAR(dbsa.err_plus[1], 100 * sample_std({0.75, 1, 1}), 1e-9);
  EXPECT_EQ(dbsa.err_minus, dbsa.err_plus);
  const ChartSeries& zero = d.series[2];
  EXPECT_NEAR(zero.y[1], 100 * (0.5 + 0.25) / 2, 1e-9);
  EXPECT_NEAR(zero.err_plus[1], 100 * sample_std({0.5, 0.25}), 1e-9);
  EXPECT_EQ(d.y_label, "Accuracy (%)");
}

TEST_F(ChartDataTest, AccuracyOfOneDatasetHasOneCategory) {
  ChartData d = data(ChartKind::Accuracy, "sst2");
  EXPECT_EQ(d.categories, std::vector<std::string>{"sst2"});
  EXPECT_NE(d.title.find("sst2"), std::string::npos);
  EXPECT_NEAR(d.series[1].y[0], 100.0, 1e-9);  // full-icl 4/4
}

TEST_F(ChartDataTest, TotalLatencyIsSetupPlusNTimesMeanPerQuery) {
  ChartData d = data(ChartKind::LatencyTotal);
  EXPECT_TRUE(d.log_x && d.log_y);
  ASSERT_EQ(names(d), kMethods);
  // dbsa over its three trec runs: setups 2, 2, 3; twelve latencies summing to 0.1 + 0.1 + 0.2.
  double setup = 7.0 / 3, per_query = 0.4 / 12;
  const ChartSeries& s = d.series[0];
  ASSERT_EQ(s.x.size(), 51u);
  EXPECT_NEAR(s.y[0], setup + per_query, 1e-12);
  EXPECT_NEAR(s.y[20], setup + 100 * per_query, 1e-9);
  EXPECT_NEAR(s.y[50], setup + 100000 * per_query, 1e-6);
  // full-icl: no setup, 0.35 s per query: a straight line through (1, 0.35).
  EXPECT_NEAR(d.series[1].y[0], 0.35, 1e-12);
  EXPECT_NEAR(d.series[1].y[50], 35000, 1e-6);
  // Where the curves cross is the paper's point: DBSA's setup amortizes after a few requests.
  EXPECT_GT(d.series[0].y[0], d.series[1].y[0]);
  EXPECT_LT(d.series[0].y[20], d.series[1].y[20]);
}

TEST_F(ChartDataTest, PerQueryLatencyBarsAtMedianWithWhiskerToP95InMilliseconds) {
  ChartData d = data(ChartKind::LatencyQuery);
  EXPECT_EQ(d.style, ChartStyle::Bars);
  EXPECT_EQ(d.categories, kMethods);
  EXPECT_EQ(d.y_label, "Latency per query (ms)");  // the largest p95 is 0.5 s
  // full-icl: 0.2 0.2 0.3 0.3 0.4 0.4 0.5 0.5 → p50 = 0.35, p95 (h = 6.65) = 0.5.
  const ChartSeries& f = d.series[1];
  EXPECT_EQ(f.x, std::vector<double>{1});
  EXPECT_NEAR(f.y[0], 350, 1e-9);
  EXPECT_NEAR(f.err_plus[0], 150, 1e-9);
  EXPECT_EQ(f.err_minus[0], 0);
  EXPECT_NEAR(d.series[2].y[0], 5, 1e-9);
  EXPECT_NEAR(d.series[2].err_plus[0], 0, 1e-9);
}

TEST_F(ChartDataTest, StorageIsMeanKvBytesPerPoolSize) {
  ChartData d = data(ChartKind::Storage);
  ASSERT_EQ(names(d), kMethods);
  EXPECT_EQ(d.y_label, "KV cache size (MiB)");
  EXPECT_EQ(d.series[0].x, (std::vector<double>{40, 80}));
  EXPECT_EQ(d.series[0].y, (std::vector<double>{4, 8}));
  EXPECT_EQ(d.series[1].x, std::vector<double>{40});
  EXPECT_EQ(d.series[1].y, std::vector<double>{0});
}

TEST_F(ChartDataTest, AccuracyVsContextHasAPointPerConfiguration) {
  ChartData d = data(ChartKind::AccuracyVsContext);
  ASSERT_EQ(names(d), kMethods);
  EXPECT_TRUE(d.log_x);  // 40 to 1200 tokens
  EXPECT_EQ(d.series[0].x, (std::vector<double>{300, 450}));
  EXPECT_NEAR(d.series[0].y[0], 100 * (0.75 + 1) / 2, 1e-9);
  EXPECT_NEAR(d.series[0].y[1], 100, 1e-9);
  EXPECT_EQ(d.series[2].x, std::vector<double>{40});
  EXPECT_NEAR(d.series[2].y[0], 37.5, 1e-9);
}

TEST_F(ChartDataTest, PerDatasetKindsRefuseAMixOfDatasets) {
  ResultsDb db(*file_, OpenMode::ReadOnly);
  try {
    build_chart_data(db, ChartKind::Storage, std::nullopt);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("results.sqlite: the finished runs come from several datasets (sst2, "
                                   "trec); choose one with --dataset"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(ChartDataTest, UnknownDatasetNamesTheOnesThatExist) {
  ResultsDb db(*file_, OpenMode::ReadOnly);
  try {
    build_chart_data(db, ChartKind::Accuracy, "imdb");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "no finished runs for dataset 'imdb' (datasets with finished runs: sst2, trec)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ChartDataEmptyTest, DatabaseWithoutFinishedRunsIsAnError) {
  auto file = test::scratch_dir("chart_data_empty") / "results.sqlite";
  ResultsDb db(file, OpenMode::Create);
  auto runs = test::chart_test_runs();
  test::write_run(db, runs[7]);  // still running
  EXPECT_THROW(
      {
        try {
          build_chart_data(db, ChartKind::Accuracy);
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("results.sqlite: no finished runs to chart"),
                    std::string::npos);
          throw;
        }
      },
      std::runtime_error);
}

// Runs of two models are never pooled into one series: each method is a series per model, the chart
// says so, and a model filter (file name, path or fingerprint prefix) keeps one model's runs.
TEST(ChartDataModelsTest, RunsOfTwoModelsAreDrawnApartOrFiltered) {
  auto file = test::scratch_dir("chart_data_models") / "results.sqlite";
  ResultsDb db(file, OpenMode::Create);
  for (const auto& r : test::chart_test_runs()) test::write_run(db, r);
  for (const auto& r : test::second_model_runs()) test::write_run(db, r);
  EXPECT_EQ(chart_models(db), (std::vector<std::string>{"big.gguf", "tiny-spm-f32.gguf"}));

  const ChartData mixed = build_chart_data(db, ChartKind::LatencyQuery, std::string("trec"));
  std::vector<std::string> names;
  for (const auto& s : mixed.series) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dbsa · big.gguf", "dbsa · tiny-spm-f32.gguf",
                                             "full-icl · tiny-spm-f32.gguf", "zero-shot · big.gguf",
                                             "zero-shot · tiny-spm-f32.gguf"}));
  EXPECT_EQ(mixed.series[0].method, "dbsa");
  EXPECT_EQ(mixed.series[0].model_index, 0);
  EXPECT_EQ(mixed.series[1].model_index, 1);
  EXPECT_NEAR(mixed.series[0].y[0], 200.0, 1e-9);  // big.gguf's dbsa: 0.2 s in ms, not pooled
  EXPECT_NE(mixed.warning.find("2 models (big.gguf, tiny-spm-f32.gguf)"), std::string::npos) << mixed.warning;

  for (const std::string& filter :
       {std::string("big.gguf"), std::string("models/big.gguf"), std::string("fp-big-0")}) {
    RunFilter by_model;
    by_model.model = filter;
    const ChartData one = build_chart_data(db, ChartKind::LatencyQuery, std::string("trec"), by_model);
    ASSERT_EQ(one.series.size(), 2u) << filter;
    EXPECT_EQ(one.series[0].name, "dbsa");
    EXPECT_EQ(one.series[1].name, "zero-shot");
    EXPECT_TRUE(one.warning.empty()) << one.warning;
  }
  try {
    RunFilter unknown;
    unknown.model = "nope.gguf";
    build_chart_data(db, ChartKind::Accuracy, std::nullopt, unknown);
    ADD_FAILURE() << "an unknown model was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no finished runs of model 'nope.gguf' (models with finished runs: "
                                         "big.gguf, tiny-spm-f32.gguf)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dbsa::ui
