#pragma once
// A fixed set of worker threads that run data-parallel loops. The calling thread takes part, so a pool
// of N threads starts N-1 workers. Workers spin briefly before sleeping because decode issues hundreds
// of tiny loops per token and a condition-variable wake-up costs more than the work itself.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbsa {

// The most threads a pool may have: 4 × the hardware threads (at least 4). More only oversubscribes the
// machine, and a mistyped count must not exhaust the system's thread limit for every other program.
int max_pool_threads();
// Empty when n is a valid thread count (0 = every hardware thread), otherwise the reason, naming the
// limit; every `--threads` option and the pool itself check with it.
std::string thread_count_error(int64_t n);

class ThreadPool {
 public:
  // n_threads <= 0 means the number of hardware threads. Throws std::invalid_argument above
  // max_pool_threads(), and std::runtime_error when a worker cannot be started (after joining the
  // workers that did start).
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(task, thread) for task in [0, n_tasks), tasks handed out dynamically; thread is in
  // [0, size()). Returns when all tasks are done; the first exception thrown by a task is rethrown.
  // Not reentrant: fn must not call parallel_for on the same pool.
  void parallel_for(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

 private:
  void stop_workers();
  void worker_loop(int thread);
  void run_tasks(int thread);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> active_{0};
  int64_t n_tasks_ = 0;
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  std::exception_ptr error_;
  std::mutex error_mu_;
  bool stop_ = false;
};

}  // namespace dbsa
