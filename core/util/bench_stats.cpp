#include "util/bench_stats.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace dbsa {

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

uint64_t peak_rss_bytes() {
  // VmHWM is the kernel's own high-water mark of the resident set; ru_maxrss is the same in KiB on
  // Linux but is kept across exec, so /proc is preferred when it is there.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

}  // namespace dbsa
