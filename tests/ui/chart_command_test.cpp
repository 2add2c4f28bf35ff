// `dbsa chart` through its CLI11 registration: the success line and each error as one clear message,
// with nothing left at --out (nor a temporary file) when it fails.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <QImage>

#include "chart_test_db.h"
#include "ui/charts/chart_command.h"

namespace dbsa::ui {
namespace {

class ChartCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::need_application();
    db_ = test::write_chart_test_db("chart_command");
    dir_ = db_.parent_path();
  }
  // Runs `dbsa chart ARGS...`; returns the error message, empty on success.
  std::string run(std::vector<std::string> args) {
    CLI::App app;
    app.require_subcommand(1);
    register_chart_command(app);
    args.insert(args.begin(), "chart");
    std::reverse(args.begin(), args.end());  // CLI11 parses a vector in reverse order
    try {
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      return std::string("parse: ") + e.what();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  // Only the database itself: no chart, no temporary file.
  void expect_nothing_written() {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      std::string name = e.path().filename().string();
      EXPECT_TRUE(name.rfind("results.sqlite", 0) == 0) << "left behind: " << name;
    }
  }
  std::filesystem::path db_, dir_;
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_F(ChartCommandTest, WritesThePngAtTheGivenSize) {
  auto out = dir_ / "total.png";
  testing::internal::CaptureStdout();
  EXPECT_EQ(run({"--db", db_.string(), "--kind", "latency-total", "--out", out.string(), "--width", "700",
                 "--height", "450", "--dataset", "trec"}),
            "");
  std::string said = testing::internal::GetCapturedStdout();
  EXPECT_EQ(said, "wrote " + out.string() + " (latency-total, 3 series, 700x450)\n");
  EXPECT_EQ(QImage(QString::fromStdString(out.string())).size(), QSize(700, 450));
}

TEST_F(ChartCommandTest, AccuracyNeedsNoDatasetAndOverwritesAnOldChart) {
  auto out = dir_ / "acc.svg";
  { std::ofstream(out) << "old"; }
  testing::internal::CaptureStdout();
  EXPECT_EQ(run({"--db", db_.string(), "--kind", "accuracy", "--out", out.string()}), "");
  testing::internal::GetCapturedStdout();
  EXPECT_GT(std::filesystem::file_size(out), 1000u);
}

TEST_F(ChartCommandTest, MissingDatabase) {
  auto msg = run(
      {"--db", (dir_ / "none.sqlite").string(), "--kind", "accuracy", "--out", (dir_ / "a.png").string()});
  EXPECT_TRUE(contains(msg, "none.sqlite': no such file")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, UnknownKind) {
  auto msg = run({"--db", db_.string(), "--kind", "pie", "--out", (dir_ / "a.png").string()});
  EXPECT_TRUE(contains(msg, "unknown chart kind 'pie' (expected one of: accuracy,")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, UnknownExtension) {
  auto msg = run({"--db", db_.string(), "--kind", "accuracy", "--out", (dir_ / "a.jpg").string()});
  EXPECT_TRUE(contains(msg, "a.jpg: unknown chart format '.jpg' (expected .png, .pdf or .svg)")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, MissingFolder) {
  auto msg = run({"--db", db_.string(), "--kind", "accuracy", "--out", (dir_ / "no/such/a.png").string()});
  EXPECT_TRUE(contains(msg, "a.png: cannot write the chart: folder '")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, UnwritableFolder) {
  // /proc refuses new files even to root.
  for (const char* out : {"/proc/dbsa-chart.png", "/proc/dbsa-chart.pdf", "/proc/dbsa-chart.svg"}) {
    auto msg = run({"--db", db_.string(), "--kind", "accuracy", "--out", out});
    EXPECT_TRUE(contains(msg, std::string(out) + ": cannot write the chart")) << msg;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

TEST_F(ChartCommandTest, SizeOutOfRange) {
  auto msg =
      run({"--db", db_.string(), "--kind", "accuracy", "--out", (dir_ / "a.png").string(), "--width", "10"});
  EXPECT_TRUE(contains(msg, "a.png: chart size 10x640 outside 64..10000 pixels per side")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, AmbiguousDatasetForAPerDatasetKind) {
  auto msg = run({"--db", db_.string(), "--kind", "storage", "--out", (dir_ / "a.pdf").string()});
  EXPECT_TRUE(contains(msg, "several datasets (sst2, trec); choose one with --dataset")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, NotADatabase) {
  auto fake = dir_ / "results.sqlite.txt";
  { std::ofstream(fake) << "not sqlite at all, just text long enough to not look empty........"; }
  auto msg = run({"--db", fake.string(), "--kind", "accuracy", "--out", (dir_ / "a.png").string()});
  EXPECT_TRUE(contains(msg, "results.sqlite.txt'")) << msg;
  expect_nothing_written();
}

TEST_F(ChartCommandTest, RequiredOptions) {
  auto msg = run({"--db", db_.string(), "--kind", "accuracy"});
  EXPECT_TRUE(contains(msg, "parse: --out is required")) << msg;
}

}  // namespace
}  // namespace dbsa::ui
