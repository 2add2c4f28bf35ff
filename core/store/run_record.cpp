#include "store/run_record.h"

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

}  // namespace dbsa
