#include "store/run_record.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/block_layout.h"
#include "store/store_error.h"

namespace dbsa {

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Finished:
      return "finished";
    case RunStatus::Interrupted:
      return "interrupted";
    case RunStatus::Failed:
      return "failed";
  }
  return "?";
}

RunStatus parse_run_status(const std::string& name) {
  for (RunStatus s : {RunStatus::Running, RunStatus::Finished, RunStatus::Interrupted, RunStatus::Failed})
    if (name == run_status_name(s)) return s;
  throw StoreError("unknown run status '" + name + "' (expected running, finished, interrupted or failed)");
}

std::string run_model_name(const RunInfo& info) {
  if (!info.model_path.empty()) return std::filesystem::path(info.model_path).filename().string();
  return info.model_fingerprint.substr(0, 12);
}

bool run_model_matches(const RunInfo& info, const std::string& filter) {
  if (filter.empty()) return true;
  if (filter == info.model_path || filter == run_model_name(info)) return true;
  return filter.size() >= 8 && info.model_fingerprint.compare(0, filter.size(), filter) == 0;
}

std::string run_config_text(const RunParams& p) {
  return "blocks=" + std::to_string(p.blocks) + " demos=" + std::to_string(p.block_demos) +
         " select=" + block_count_text(p.select) + " sink=" + block_count_text(p.sink) +
         " prev=" + block_count_text(p.prev) + " grouping=" + p.grouping + " order=" + p.order +
         " test=" + std::to_string(p.test_size);
}

std::string run_preset(const RunInfo& info) {
  // The database checked the text is a JSON object when the run was written; an older or hand-made
  // row without the key has no preset.
  const auto j = nlohmann::json::parse(info.params_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  const auto it = j.find("preset");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace dbsa
