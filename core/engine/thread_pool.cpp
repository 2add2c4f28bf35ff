#include "engine/thread_pool.h"

#include <algorithm>
#include <exception>
#include <stdexcept>

namespace dbsa {

namespace {
// Spin iterations before a worker sleeps on the condition variable (a few hundred microseconds): long
// enough to bridge the serial work between two products of a decode step (norms, RoPE, attention of one
// token), so a worker is not woken through the kernel ~200 times a token. 20000 spins let it sleep: 4%
// slower decode on the SmolLM-shaped Q8_0 and Q4_K_M files (medians of 5 interleaved runs, 104.6 vs
// 108.6 and 122.3 vs 126.7 tok/s, docs/BENCHMARKS.md).
constexpr int kSpinIterations = 200000;
}  // namespace

int max_pool_threads() {
  return 4 * std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::string thread_count_error(int64_t n) {
  if (n < 0) return "must be >= 0 (0 = every core)";
  if (n > max_pool_threads())
    return "at most " + std::to_string(max_pool_threads()) + " (4 x the " +
           std::to_string(std::thread::hardware_concurrency()) + " hardware threads of this machine)";
  return {};
}

ThreadPool::ThreadPool(int n_threads) {
  if (const std::string e = thread_count_error(n_threads < 0 ? 0 : n_threads); !e.empty())
    throw std::invalid_argument("thread pool of " + std::to_string(n_threads) + " threads: " + e);
  if (n_threads <= 0) n_threads = static_cast<int>(std::thread::hardware_concurrency());
  n_threads_ = n_threads < 1 ? 1 : n_threads;
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int t = 1; t < n_threads_; ++t) {
    try {
      workers_.emplace_back([this, t] { worker_loop(t); });
    } catch (const std::exception& e) {  // std::system_error (EAGAIN at the thread limit), bad_alloc
      // The destructor will not run for a half-built pool: stop and join the workers that started,
      // or their std::thread objects would terminate the program when destroyed.
      stop_workers();
      throw std::runtime_error("cannot start worker thread " + std::to_string(t) + " of " +
                               std::to_string(n_threads_) + ": " + e.what());
    }
  }
}

ThreadPool::~ThreadPool() {
  stop_workers();
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::run_tasks(int thread) {
  for (;;) {
    const int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) break;
    try {
      (*fn_)(task, thread);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
      next_task_.store(n_tasks_, std::memory_order_relaxed);  // stop handing out work
    }
  }
}

void ThreadPool::worker_loop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) ++spins;
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    run_tasks(thread);
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int64_t n_tasks, const std::function<void(int64_t, int)>& fn) {
  if (n_tasks <= 0) return;
  if (workers_.empty() || n_tasks == 1) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_tasks_ = n_tasks;
    error_ = nullptr;
    next_task_.store(0, std::memory_order_relaxed);
    active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  run_tasks(0);
  // Spin briefly, then yield: on a shared, oversubscribed machine a spinning caller steals the core a
  // descheduled worker needs to finish.
  for (int spins = 0; active_.load(std::memory_order_acquire) != 0; ++spins)
    if (spins > 2000) std::this_thread::yield();
  fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

}  // namespace dbsa
