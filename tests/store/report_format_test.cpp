// The report's renderings: JSON parses with the numbers, CSV has its header and one line per row,
// Markdown is a table, text is aligned.
#include "store/report_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "report_fixture.h"
#include "store/report.h"

namespace dbsa {
namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<ReportRow> fixture_rows(const std::string& name) {
  ResultsDb db(test::scratch_dir(name) / "r.sqlite");
  test::fill_report_fixture(db);
  return build_report(db);
}

TEST(ReportFormat, JsonParsesWithRowsAndNullRatio) {
  auto rows = fixture_rows("format_json");
  auto j = nlohmann::json::parse(report_json(rows));
  EXPECT_EQ(j["format"], "dbsa-report");
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_TRUE(j["rows"][0]["accuracy_ratio_to_best"].is_null());
  EXPECT_EQ(j["rows"][1]["method"], "dbsa");
  EXPECT_EQ(j["rows"][1]["runs"], 3);
  EXPECT_DOUBLE_EQ(j["rows"][1]["accuracy_std"].get<double>(), 0.25);
  EXPECT_NEAR(j["rows"][1]["query_p95_seconds"].get<double>(), 1.145, 1e-12);
  EXPECT_NEAR(j["rows"][1]["amortized_seconds_per_query"]["n100"].get<double>(), 0.85, 1e-12);
  EXPECT_NE(j["percentile"].get<std::string>().find("linear interpolation"), std::string::npos);
}

TEST(ReportFormat, CsvHasHeaderAndOneLinePerRow) {
  auto rows = fixture_rows("format_csv");
  auto lines = lines_of(report_csv(rows));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(
      lines[0],
      "dataset,model,model_fingerprint,method,config,runs,queries,cache_hits,accuracy_mean,accuracy_std,"
      "accuracy_ratio_to_best,"
      "setup_seconds_mean,query_mean_seconds,query_p50_seconds,query_p95_seconds,kv_bytes_mean,"
      "amortized_seconds_n100,amortized_seconds_n100000");
  EXPECT_EQ(lines[1].substr(0, 54), "banking77,tiny-spm-f32.gguf,fp-123,zero-shot,,1,2,0,0,");
  EXPECT_EQ(lines[2].substr(0, 55), "trec,tiny-spm-f32.gguf,fp-123,dbsa,,3,12,0,0.75,0.25,0.");
  for (const auto& l : lines) EXPECT_EQ(std::count(l.begin(), l.end(), ','), 17) << l;

  ReportRow odd;
  odd.dataset = "my,data";
  odd.method = "say \"hi\"";
  auto quoted = lines_of(report_csv(std::vector<ReportRow>{odd}));
  EXPECT_EQ(quoted[1].substr(0, 25), "\"my,data\",,,\"say \"\"hi\"\"\",");
}

TEST(ReportFormat, MarkdownTableRows) {
  auto rows = fixture_rows("format_md");
  auto lines = lines_of(report_markdown(rows));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0].substr(0, 38), "| dataset | model | method | runs | ac");
  EXPECT_EQ(lines[1].substr(0, 17), "|---|---|---|---:");
  EXPECT_EQ(lines[2].substr(0, 44), "| banking77 | tiny-spm-f32.gguf | zero-shot ");
  EXPECT_EQ(lines[3],
            "| trec | tiny-spm-f32.gguf | dbsa | 3 | 0.7500 ± 0.2500 | 75.0% | 20.000 | 0.6500 | 0.6500 | "
            "1.1450 | 100 | 0.8500 | 0.6502 |");
  EXPECT_EQ(lines[4].substr(0, 49), "| trec | tiny-spm-f32.gguf | full-icl | 1 | 1.000");
  size_t pipes = std::count(lines[0].begin(), lines[0].end(), '|');
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(size_t(std::count(lines[i].begin(), lines[i].end(), '|')), pipes);
}

TEST(ReportFormat, TextTableIsAligned) {
  auto rows = fixture_rows("format_text");
  auto lines = lines_of(report_text(rows));
  ASSERT_EQ(lines.size(), 4u);
  // "±" is two bytes but one column; after it every line has the same display width.
  auto width = [](const std::string& s) {
    return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
  };
  for (const auto& l : lines) EXPECT_EQ(width(l), width(lines[0])) << l;
  EXPECT_EQ(lines[2].substr(0, 38), "trec       tiny-spm-f32.gguf  dbsa    ");
  EXPECT_EQ(report_text({}), "no finished runs\n");
}

}  // namespace
}  // namespace dbsa
