#include "store/run_record.h"

#include <filesystem>

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

}  // namespace dbsa
