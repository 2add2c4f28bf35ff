#pragma once
// What machine a run was measured on: latency numbers are meaningless without it.
#include <string>

#include "store/run_record.h"

namespace dbsa {

// Hostname, CPU model (/proc/cpuinfo "model name"), logical cores and physical RAM. Fields that
// cannot be read stay empty / 0 rather than failing a run.
MachineInfo collect_machine_info();
// This machine's hostname alone (empty when unreadable), as collect_machine_info records it.
std::string this_hostname();

}  // namespace dbsa
