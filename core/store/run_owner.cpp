#include "store/run_owner.h"

#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "store/machine_info.h"

namespace dbsa {
namespace {

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// Field 22 (starttime) of /proc/<pid>/stat, or -1 when the process does not exist. The second field
// (the command name, in parentheses) may hold spaces and ')' itself, so fields are counted after its
// last ')'.
int64_t start_ticks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return -1;
  }
  try {
    return std::stoll(field);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

RunOwner this_process_owner() {
  RunOwner o;
  o.boot_id = boot_id();
  o.pid = static_cast<int64_t>(::getpid());
  o.start_ticks = start_ticks(o.pid);
  return o;
}

OwnerState owner_state(const RunOwner& owner, const std::string& run_hostname) {
  if (owner.pid <= 0 || owner.boot_id.empty() || run_hostname != this_hostname()) return OwnerState::Unknown;
  if (owner.boot_id != boot_id()) return OwnerState::Gone;  // the machine rebooted since
  return start_ticks(owner.pid) == owner.start_ticks ? OwnerState::Alive : OwnerState::Gone;
}

bool run_abandoned(const RunRecord& run) {
  return run.status == RunStatus::Running &&
         owner_state(run.info.owner, run.info.machine.hostname) == OwnerState::Gone;
}

std::string run_status_text(const RunRecord& run) {
  return run_abandoned(run) ? "abandoned" : run_status_name(run.status);
}

}  // namespace dbsa
