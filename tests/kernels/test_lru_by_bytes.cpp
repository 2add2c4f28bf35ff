// The byte-budgeted LRU behind the device block cache (host logic; no device needed).
#include <gtest/gtest.h>

#include "lru_by_bytes.h"

namespace dbsa::cuda {
namespace {

TEST(LruByBytes, EvictsLeastRecentlyUsedUntilTheNewEntryFits) {
  LruByBytes<int> lru(100);
  lru.insert(1, 40);
  lru.insert(2, 30);
  lru.insert(3, 20);
  EXPECT_EQ(lru.bytes(), 90u);
  EXPECT_TRUE(lru.touch(1));  // order now 1, 3, 2 (most recent first)
  EXPECT_EQ(lru.keys(), (std::vector<int>{1, 3, 2}));
  EXPECT_EQ(lru.victims_for(10, {}), std::vector<int>{});     // 100 fits exactly
  EXPECT_EQ(lru.victims_for(11, {}), (std::vector<int>{2}));  // the oldest goes first
  EXPECT_EQ(lru.victims_for(45, {}), (std::vector<int>{2, 3}));
  EXPECT_FALSE(lru.touch(9));
}

TEST(LruByBytes, KeptKeysAreNeverVictimsEvenOverBudget) {
  LruByBytes<int> lru(50);
  lru.insert(1, 30);
  lru.insert(2, 30);  // over budget already: the cache is soft-limited, never fails a request
  EXPECT_EQ(lru.victims_for(30, {1, 2}), std::vector<int>{});
  EXPECT_EQ(lru.victims_for(30, {2}), (std::vector<int>{1}));
  lru.erase(1);
  EXPECT_EQ(lru.bytes(), 30u);
  EXPECT_FALSE(lru.contains(1));
  EXPECT_THROW(lru.insert(2, 5), std::logic_error);
}

}  // namespace
}  // namespace dbsa::cuda
