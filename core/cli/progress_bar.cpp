#include "cli/progress_bar.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/interrupt.h"

namespace dbsa::cli {

void ProgressBar::draw(double fraction, std::string_view before, std::string_view after,
                       bool end_line_at_done) {
  if (!due(fraction)) return;
  last_ = std::chrono::steady_clock::now();
  const bool done = fraction >= 1.0;
  const int fill = std::clamp(static_cast<int>(fraction * width_), 0, width_);
  // \033[K clears what a longer earlier line left behind. An empty view's data() may be null, which
  // %.*s must not be given even for zero characters.
  if (before.empty()) before = "";
  if (after.empty()) after = "";
  std::fprintf(stderr, "\r\033[K%.*s[%s%s] %5.1f%%%.*s", static_cast<int>(before.size()), before.data(),
               std::string(static_cast<size_t>(fill), '#').c_str(),
               std::string(static_cast<size_t>(width_ - fill), '.').c_str(), 100.0 * fraction,
               static_cast<int>(after.size()), after.data());
  if (done && end_line_at_done) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

Progress interruptible_progress(bool quiet, const std::string& what, const InterruptGuard& interrupt) {
  auto bar = std::make_shared<ProgressBar>(quiet, 40);
  return [bar, what = what + " ", &interrupt](double f) {
    bar->draw(f, what);
    return !interrupt.interrupted();
  };
}

bool ProgressBar::due(double fraction) const {
  return !quiet_ &&
         (fraction >= 1.0 || std::chrono::steady_clock::now() - last_ >= std::chrono::milliseconds(100));
}

}  // namespace dbsa::cli
