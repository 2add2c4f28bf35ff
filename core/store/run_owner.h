#pragma once
// Whether the process that wrote a "running" run is still there (store/run_record.h's RunOwner): a run
// whose process is gone was abandoned, and `dbsa report` and the studio's Runs page say so instead of
// showing it as running forever.
#include <string>

#include "store/run_record.h"

namespace dbsa {

// This process, as begin_run records it.
RunOwner this_process_owner();

enum class OwnerState {
  Alive,   // the same process (pid and start time) still runs on this machine, since the same boot
  Gone,    // recorded on this machine, and that process no longer exists
  Unknown  // recorded on another machine (hostname differs), or nothing recorded (an older database)
};
OwnerState owner_state(const RunOwner& owner, const std::string& run_hostname);

// A run left "running" by a process that is gone.
bool run_abandoned(const RunRecord& run);
// The status users read: run_status_name(), or "abandoned".
std::string run_status_text(const RunRecord& run);

}  // namespace dbsa
