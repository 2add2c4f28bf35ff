#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "engine/thread_pool.h"

namespace dbsa {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceAcrossRepeatedLoops) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 200; ++rep) {
    const int n = 1 + rep % 37;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t t, int thread) {
      ASSERT_GE(thread, 0);
      ASSERT_LT(thread, 3);
      hits[static_cast<size_t>(t)].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, RethrowsTaskException) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](int64_t t, int) {
                                   if (t == 57) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int> sum{0};
  pool.parallel_for(10, [&](int64_t t, int) { sum += static_cast<int>(t); });
  EXPECT_EQ(sum.load(), 45);
}

// A mistyped --threads 100000 once started 32k threads and exhausted the machine's thread limit.
TEST(ThreadPool, RefusesMoreThanTheBound) {
  const int max = max_pool_threads();
  EXPECT_GE(max, 4);
  EXPECT_TRUE(thread_count_error(0).empty());
  EXPECT_TRUE(thread_count_error(max).empty());
  EXPECT_NE(thread_count_error(max + 1).find("at most " + std::to_string(max)), std::string::npos);
  EXPECT_NE(thread_count_error(-1).find(">= 0"), std::string::npos);
  EXPECT_THROW(ThreadPool pool(100000), std::invalid_argument);
  ThreadPool at_bound(max);
  std::atomic<int> n{0};
  at_bound.parallel_for(1000, [&](int64_t, int) { ++n; });
  EXPECT_EQ(n.load(), 1000);
}

}  // namespace
}  // namespace dbsa
