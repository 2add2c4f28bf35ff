#include "store/run_list.h"

#include <nlohmann/json.hpp>

#include "store/report_format.h"
#include "store/results_db.h"
#include "store/run_owner.h"

namespace dbsa {

std::vector<RunRow> list_runs(const ResultsDb& db) {
  std::vector<RunRow> rows;
  for (RunRecord& r : db.runs()) {
    RunRow row;
    row.aggregates = db.aggregates(r.id);
    row.record = std::move(r);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string runs_text(std::span<const RunRow> rows) {
  if (rows.empty()) return "no runs\n";
  std::vector<std::vector<std::string>> t{{"id", "status", "method", "model", "dataset", "preset",
                                           "configuration", "seed", "context", "accuracy", "queries",
                                           "p50 ms", "started"}};
  for (const RunRow& row : rows) {
    const RunRecord& r = row.record;
    const auto& a = row.aggregates;
    const std::string preset = run_preset(r.info);
    t.push_back({std::to_string(r.id), run_status_text(r), r.info.method, run_model_name(r.info),
                 r.info.dataset, preset.empty() ? "custom" : preset, run_config_text(r.info.params),
                 std::to_string(r.info.params.seed), a ? fixed_text(a->tokens_attended_mean, 0) : "",
                 a ? fixed_text(a->accuracy, 4) : "", a ? std::to_string(a->n) : "",
                 a ? fixed_text(1e3 * a->query_p50_seconds, 2) : "", r.info.started_at});
  }
  // Ids and names left-aligned up to the seed; numbers right-aligned; the start time left.
  return aligned_table(t, 7);
}

std::string runs_json(std::span<const RunRow> rows) {
  nlohmann::ordered_json out = {
      {"format", "dbsa-runs"}, {"version", 1}, {"runs", nlohmann::ordered_json::array()}};
  for (const RunRow& row : rows) {
    const RunRecord& r = row.record;
    nlohmann::ordered_json j = {{"id", r.id},
                                {"status", run_status_text(r)},
                                {"method", r.info.method},
                                {"model", run_model_name(r.info)},
                                {"model_path", r.info.model_path},
                                {"model_fingerprint", r.info.model_fingerprint},
                                {"dataset", r.info.dataset},
                                {"preset", run_preset(r.info)},
                                {"config", run_config_text(r.info.params)},
                                {"seed", r.info.params.seed},
                                {"started_at", r.info.started_at},
                                {"finished_at", r.finished_at}};
    if (const auto& a = row.aggregates) {
      j["queries"] = a->n;
      j["accuracy"] = a->accuracy;
      j["tokens_attended_mean"] = a->tokens_attended_mean;
      j["query_p50_seconds"] = a->query_p50_seconds;
    }
    out["runs"].push_back(std::move(j));
  }
  return out.dump(1) + "\n";
}

}  // namespace dbsa
