// The host-side plan of the flash-attention kernel (no device needed): every query of every layout
// tile is covered exactly once, and key splits tile each item's visible keys without gaps or overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "flash_attention_plan.h"

namespace dbsa::cuda {
namespace {

void expect_covers(const AttentionLayout& l, const FlashPlan& p) {
  // Per query: the key intervals of its items, which must be disjoint and, merged, span every key.
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> seen;
  for (const FlashItem& it : p.items) {
    ASSERT_LE(it.q1 - it.q0, kFlashQueryTile);
    ASSERT_GT(it.q1, it.q0);
    const AttentionTile& t = l.tiles[static_cast<size_t>(it.tile)];
    ASSERT_GE(it.q0, t.q_begin);
    ASSERT_LE(it.q1, t.q_end);
    for (int64_t q = it.q0; q < it.q1; ++q) seen[q].push_back({it.kv_lo, it.kv_hi});
  }
  ASSERT_EQ(static_cast<int64_t>(seen.size()), l.n_queries);
  for (auto& [q, spans] : seen) {
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) ASSERT_EQ(spans[i - 1].second, spans[i].first) << "query " << q;
    const AttentionTile* tile = nullptr;
    for (const auto& t : l.tiles)
      if (q >= t.q_begin && q < t.q_end) tile = &t;
    ASSERT_NE(tile, nullptr);
    for (const auto& r : tile->ranges)  // every visible key of the query lies in one of its spans
      for (int64_t j = r.begin; j < std::min(r.end, l.query_kv_offset + q + 1); ++j)
        ASSERT_TRUE(j >= spans.front().first && j < spans.back().second) << "query " << q << " key " << j;
  }
}

TEST(FlashPlan, TilesAreCutIntoQueryTilesWithoutSplitsWhenTheDeviceIsFull) {
  const std::vector<int64_t> starts = {0, 20, 45, 70, 90};
  const auto l = AttentionLayout::block_sparse(starts, {1, 1});
  const auto p = plan_flash_attention(l, 8, 16);
  EXPECT_EQ(p.n_parts, 0);
  EXPECT_TRUE(p.groups.empty());
  EXPECT_EQ(p.tiles.size(), l.tiles.size());
  EXPECT_EQ(p.items.size(), 2u + 2u + 2u + 2u);  // blocks of 20, 25, 25, 20 tokens in tiles of 16
  expect_covers(l, p);
}

TEST(FlashPlan, DecodeOverLongContextIsSplitIntoMergedGroups) {
  AttentionLayout l;
  l.n_queries = 3;
  l.query_kv_offset = 5000;
  l.tiles.push_back({0, 3, {{0, 300}, {1100, 5003}}});
  const auto p = plan_flash_attention(l, 4, 256);
  ASSERT_EQ(p.groups.size(), 1u);
  EXPECT_GT(p.n_parts, 1);
  EXPECT_EQ(p.groups[0].n_parts, p.n_parts);
  EXPECT_EQ(p.items.size(), static_cast<size_t>(p.n_parts));
  for (const FlashItem& it : p.items) EXPECT_EQ(it.kv_lo % kFlashKeyBlock, 0);
  expect_covers(l, p);
}

TEST(FlashPlan, ShortKeyRangesAreNotSplit) {
  const auto l = AttentionLayout::dense_causal(1, 100);
  const auto p = plan_flash_attention(l, 4, 10000);
  EXPECT_EQ(p.n_parts, 0);
  EXPECT_EQ(p.items.size(), 1u);
  expect_covers(l, p);
}

}  // namespace
}  // namespace dbsa::cuda
