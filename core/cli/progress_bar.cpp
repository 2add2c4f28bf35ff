#include "cli/progress_bar.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace dbsa::cli {

void ProgressBar::draw(double fraction, std::string_view before, std::string_view after,
                       bool end_line_at_done) {
  if (!due(fraction)) return;
  last_ = std::chrono::steady_clock::now();
  const bool done = fraction >= 1.0;
  const int fill = std::clamp(static_cast<int>(fraction * width_), 0, width_);
  // \033[K clears what a longer earlier line left behind.
  std::fprintf(stderr, "\r\033[K%.*s[%s%s] %5.1f%%%.*s", static_cast<int>(before.size()), before.data(),
               std::string(static_cast<size_t>(fill), '#').c_str(),
               std::string(static_cast<size_t>(width_ - fill), '.').c_str(), 100.0 * fraction,
               static_cast<int>(after.size()), after.data());
  if (done && end_line_at_done) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

bool ProgressBar::due(double fraction) const {
  return !quiet_ &&
         (fraction >= 1.0 || std::chrono::steady_clock::now() - last_ >= std::chrono::milliseconds(100));
}

}  // namespace dbsa::cli
