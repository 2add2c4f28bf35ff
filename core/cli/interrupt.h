#pragma once
// Ctrl-C (SIGINT) and SIGTERM, the signal batch schedulers send at a job's time limit, as a cancel flag
// while a long command (encode, eval, sweep) runs: the command stops at its next checkpoint, marks or
// removes what it was writing, and exits 128 + the signal. Outside the guard's lifetime the previous
// handlers are back.
#include <atomic>

namespace dbsa::cli {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  const std::atomic<bool>* flag() const;
  bool interrupted() const { return flag()->load(); }
  // The exit code of a command stopped by the signal: 130 for SIGINT, 143 for SIGTERM.
  int exit_code() const;
  // The signal's name for messages ("Ctrl-C", "SIGTERM").
  const char* signal_name() const;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

}  // namespace dbsa::cli
