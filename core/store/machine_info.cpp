#include "store/machine_info.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace dbsa {

std::string this_hostname() {
  char host[256] = {};
  return gethostname(host, sizeof(host) - 1) == 0 ? std::string(host) : std::string();
}

MachineInfo collect_machine_info() {
  MachineInfo m;
  m.hostname = this_hostname();
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto start = line.find_first_not_of(" \t", colon + 1);
    if (start != std::string::npos) m.cpu_model = line.substr(start);
    break;
  }
  m.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) m.ram_bytes = static_cast<int64_t>(pages) * page_size;
  return m;
}

}  // namespace dbsa
