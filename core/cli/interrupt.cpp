#include "cli/interrupt.h"

#include <csignal>

namespace dbsa::cli {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int sig) {
  g_signal.store(sig);
  g_interrupted.store(true);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  g_signal.store(0);
  previous_int_ = std::signal(SIGINT, on_interrupt);
  previous_term_ = std::signal(SIGTERM, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
}

const std::atomic<bool>* InterruptGuard::flag() const {
  return &g_interrupted;
}

int InterruptGuard::exit_code() const {
  return 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT);
}

const char* InterruptGuard::signal_name() const {
  return g_signal.load() == SIGTERM ? "SIGTERM" : "Ctrl-C";
}

}  // namespace dbsa::cli
