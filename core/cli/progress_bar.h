#pragma once
// The one progress bar of the `dbsa` commands (encode, append, eval, sweep): a line on stderr redrawn
// in place at most every 100 ms (and always at 100%), `<before>[####....] 42.0%<after>`. Silent when
// quiet. Commands pair it with cli/interrupt.h so the same callback also answers "continue?".
#include <chrono>
#include <string>
#include <string_view>

#include "util/progress.h"

namespace dbsa::cli {

class ProgressBar {
 public:
  ProgressBar(bool quiet, int width) : quiet_(quiet), width_(width) {}

  // Whether draw(fraction, ...) would redraw now: lets a caller skip building the text between draws.
  bool due(double fraction) const;
  // Redraws when due; a fraction of 1 ends the line when end_line_at_done.
  void draw(double fraction, std::string_view before, std::string_view after = {},
            bool end_line_at_done = true);

 private:
  bool quiet_;
  int width_;
  std::chrono::steady_clock::time_point last_{};
};

class InterruptGuard;
// A Progress (util/progress.h) drawing "<what> [###...]" on a 40-wide bar that also answers "continue?"
// for Ctrl-C and SIGTERM: false once the guard saw one. The guard must outlive the callback.
Progress interruptible_progress(bool quiet, const std::string& what, const InterruptGuard& interrupt);

}  // namespace dbsa::cli
