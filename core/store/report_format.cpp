#include "store/report_format.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

namespace dbsa {
namespace {

constexpr const char* kPercentileDefinition =
    "linear interpolation between closest ranks (Hyndman-Fan type 7, numpy default) over all queries "
    "of the row's finished runs";

std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

bool any_config(std::span<const ReportRow> rows) {
  return std::any_of(rows.begin(), rows.end(), [](const ReportRow& r) { return !r.config.empty(); });
}

// The leading name columns of human_table (dataset, model, method, and config when present): left
// aligned, the numbers after them right aligned.
size_t text_columns(std::span<const ReportRow> rows) {
  return any_config(rows) ? 4 : 3;
}

// The human-readable table shared by Markdown and text: header + one cell vector per row.
std::vector<std::vector<std::string>> human_table(std::span<const ReportRow> rows) {
  bool config = any_config(rows);
  std::vector<std::vector<std::string>> t;
  std::vector<std::string> head = {"dataset", "model", "method"};
  if (config) head.push_back("config");
  for (const char* h : {"runs", "accuracy (mean ± std)", "% of best", "setup s", "query mean s",
                        "query p50 s", "query p95 s", "KV bytes", "s/query @100", "s/query @100k"})
    head.push_back(h);
  t.push_back(head);
  for (const ReportRow& r : rows) {
    std::vector<std::string> c = {r.dataset, r.model, r.method};
    if (config) c.push_back(r.config);
    c.push_back(std::to_string(r.runs) +
                (r.cache_hits > 0 ? " (" + std::to_string(r.cache_hits) + " cached)" : ""));
    c.push_back(fixed_text(r.accuracy_mean, 4) + " ± " + fixed_text(r.accuracy_std, 4));
    c.push_back(r.accuracy_ratio_to_best ? fixed_text(100.0 * *r.accuracy_ratio_to_best, 1) + "%" : "-");
    c.push_back(fixed_text(r.setup_seconds_mean, 3));
    c.push_back(fixed_text(r.query_mean_seconds, 4));
    c.push_back(fixed_text(r.query_p50_seconds, 4));
    c.push_back(fixed_text(r.query_p95_seconds, 4));
    c.push_back(std::to_string(static_cast<long long>(r.kv_bytes_mean + 0.5)));
    c.push_back(fixed_text(r.amortized_seconds_n100, 4));
    c.push_back(fixed_text(r.amortized_seconds_n100000, 4));
    t.push_back(std::move(c));
  }
  return t;
}

// Display width in code points, so "±" does not throw the columns off.
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

}  // namespace

std::string fixed_text(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string report_json(std::span<const ReportRow> rows, std::span<const RunRecord> abandoned) {
  nlohmann::ordered_json j;
  j["format"] = "dbsa-report";
  j["version"] = 1;
  j["counted_runs"] = "finished only";
  j["accuracy_std"] = "sample standard deviation over runs (n - 1); 0 for one run";
  j["percentile"] = kPercentileDefinition;
  j["amortized"] = "(setup_seconds_mean + n * query_mean_seconds) / n";
  j["rows"] = nlohmann::ordered_json::array();
  for (const ReportRow& r : rows) {
    nlohmann::ordered_json o;
    o["dataset"] = r.dataset;
    o["model"] = r.model;
    o["model_fingerprint"] = r.model_fingerprint;
    o["method"] = r.method;
    if (!r.config.empty()) o["config"] = r.config;
    o["runs"] = r.runs;
    o["queries"] = r.queries;
    o["cache_hits"] = r.cache_hits;
    o["accuracy_mean"] = r.accuracy_mean;
    o["accuracy_std"] = r.accuracy_std;
    o["accuracy_ratio_to_best"] = r.accuracy_ratio_to_best ? nlohmann::ordered_json(*r.accuracy_ratio_to_best)
                                                           : nlohmann::ordered_json(nullptr);
    o["setup_seconds_mean"] = r.setup_seconds_mean;
    o["query_mean_seconds"] = r.query_mean_seconds;
    o["query_p50_seconds"] = r.query_p50_seconds;
    o["query_p95_seconds"] = r.query_p95_seconds;
    o["kv_bytes_mean"] = r.kv_bytes_mean;
    o["amortized_seconds_per_query"] = {{"n100", r.amortized_seconds_n100},
                                        {"n100000", r.amortized_seconds_n100000}};
    j["rows"].push_back(std::move(o));
  }
  j["abandoned_runs"] = nlohmann::ordered_json::array();
  for (const RunRecord& r : abandoned) {
    j["abandoned_runs"].push_back({{"id", r.id},
                                   {"uuid", r.info.uuid},
                                   {"method", r.info.method},
                                   {"dataset", r.info.dataset},
                                   {"started_at", r.info.started_at},
                                   {"hostname", r.info.machine.hostname},
                                   {"pid", r.info.owner.pid}});
  }
  return j.dump(2) + "\n";
}

std::string report_csv(std::span<const ReportRow> rows) {
  std::string out =
      "dataset,model,model_fingerprint,method,config,runs,queries,cache_hits,accuracy_mean,accuracy_std,"
      "accuracy_ratio_to_best,"
      "setup_seconds_mean,query_mean_seconds,query_p50_seconds,query_p95_seconds,kv_bytes_mean,"
      "amortized_seconds_n100,amortized_seconds_n100000\n";
  for (const ReportRow& r : rows) {
    std::vector<std::string> f = {csv_field(r.dataset),
                                  csv_field(r.model),
                                  csv_field(r.model_fingerprint),
                                  csv_field(r.method),
                                  csv_field(r.config),
                                  std::to_string(r.runs),
                                  std::to_string(r.queries),
                                  std::to_string(r.cache_hits),
                                  exact(r.accuracy_mean),
                                  exact(r.accuracy_std),
                                  r.accuracy_ratio_to_best ? exact(*r.accuracy_ratio_to_best) : "",
                                  exact(r.setup_seconds_mean),
                                  exact(r.query_mean_seconds),
                                  exact(r.query_p50_seconds),
                                  exact(r.query_p95_seconds),
                                  exact(r.kv_bytes_mean),
                                  exact(r.amortized_seconds_n100),
                                  exact(r.amortized_seconds_n100000)};
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    out += "\n";
  }
  return out;
}

std::string report_markdown(std::span<const ReportRow> rows) {
  auto t = human_table(rows);
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    out += "|";
    for (const auto& cell : t[i]) {
      out += ' ';
      out += md_cell(cell);
      out += " |";
    }
    out += "\n";
    if (i == 0) {
      out += "|";
      for (size_t k = 0; k < t[0].size(); ++k) out += k < text_columns(rows) ? "---|" : "---:|";
      out += "\n";
    }
  }
  out += "\nPercentiles: " + std::string(kPercentileDefinition) +
         ". Accuracy std: sample (n - 1) over runs. s/query @n: (setup + n x query mean) / n.\n";
  return out;
}

std::string report_text(std::span<const ReportRow> rows) {
  if (rows.empty()) return "no finished runs\n";
  return aligned_table(human_table(rows), text_columns(rows));
}

std::string aligned_table(const std::vector<std::vector<std::string>>& t, size_t text_cols) {
  if (t.empty()) return {};
  std::vector<size_t> width(t[0].size(), 0);
  for (const auto& row : t)
    for (size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], display_width(row[k]));
  std::string out;
  for (const auto& row : t) {
    for (size_t k = 0; k < row.size(); ++k) {
      std::string pad(width[k] - display_width(row[k]), ' ');
      // Names left-aligned, numbers right-aligned so digits line up.
      out += k < text_cols ? row[k] + pad : pad + row[k];
      out += k + 1 < row.size() ? "  " : "\n";
    }
  }
  return out;
}

std::string abandoned_runs_note(std::span<const RunRecord> abandoned) {
  if (abandoned.empty()) return "";
  // Built with append: GCC 12 -O3 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string out("\n");
  out.append(std::to_string(abandoned.size()))
      .append(abandoned.size() == 1 ? " run was" : " runs were")
      .append(" abandoned (left \"running\" by a process that is gone; not counted):\n");
  for (const RunRecord& r : abandoned) {
    out += "  run " + std::to_string(r.id) + " " + r.info.method + " on " + r.info.dataset + ", started " +
           r.info.started_at + " by process " + std::to_string(r.info.owner.pid) + " on " +
           r.info.machine.hostname + " (uuid " + r.info.uuid + ")\n";
  }
  return out;
}

}  // namespace dbsa
