#include "flash_attention_plan.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace dbsa::cuda {

namespace {

// The keys [lo, hi) an item may touch: the hull of its tile's ranges clipped to its last query's key.
std::pair<int64_t, int64_t> key_hull(const AttentionTile& t, int64_t last_self) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const auto& r : t.ranges) {
    const int64_t e = std::min(r.end, last_self + 1);
    if (r.begin < e) {
      lo = std::min(lo, r.begin);
      hi = std::max(hi, e);
    }
  }
  return {lo, hi};
}

template <class T>
void upload_vector(const std::vector<T>& v, DeviceBuffer<T>& buf, cudaStream_t s) {
  if (v.empty()) return;
  buf.resize(v.size());
  // Pageable source: the copy is staged before cudaMemcpyAsync returns, so `v` may die right after.
  DBSA_CUDA_CHECK(cudaMemcpyAsync(buf.data(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice, s));
}

}  // namespace

FlashPlan plan_flash_attention(const AttentionLayout& layout, int32_t n_head, int64_t min_ctas) {
  FlashPlan plan;
  constexpr int64_t kAllKeys = std::numeric_limits<int64_t>::max();
  for (size_t ti = 0; ti < layout.tiles.size(); ++ti) {
    const AttentionTile& t = layout.tiles[ti];
    plan.tiles.push_back({static_cast<int32_t>(plan.ranges.size()), static_cast<int32_t>(t.ranges.size())});
    for (const auto& r : t.ranges) plan.ranges.push_back({r.begin, r.end});
    for (int64_t q0 = t.q_begin; q0 < t.q_end; q0 += kFlashQueryTile)
      plan.items.push_back(
          {q0, std::min(t.q_end, q0 + kFlashQueryTile), 0, kAllKeys, static_cast<int32_t>(ti), -1});
  }
  const auto ctas = static_cast<int64_t>(plan.items.size()) * n_head;
  if (min_ctas <= 0 || ctas == 0 || ctas >= min_ctas) return plan;
  const int64_t per_item = (min_ctas + ctas - 1) / ctas;
  std::vector<FlashItem> split;
  for (const FlashItem& w : plan.items) {
    const AttentionTile& t = layout.tiles[static_cast<size_t>(w.tile)];
    const auto [lo, hi] = key_hull(t, layout.query_kv_offset + w.q1 - 1);
    const int64_t pieces = hi > lo ? std::min(per_item, (hi - lo) / kFlashMinSplitKeys) : 0;
    if (pieces < 2) {
      split.push_back(w);
      continue;
    }
    // Split boundaries on key-block multiples so no CTA loads a partial block it could have avoided.
    const int64_t step =
        ((hi - lo + pieces - 1) / pieces + kFlashKeyBlock - 1) / kFlashKeyBlock * kFlashKeyBlock;
    FlashGroup g{w.q0, w.q1, plan.n_parts, 0};
    for (int64_t b = lo; b < hi; b += step, ++g.n_parts) {
      FlashItem piece = w;
      piece.kv_lo = b;
      piece.kv_hi = std::min(hi, b + step);
      piece.part = plan.n_parts + g.n_parts;
      split.push_back(piece);
    }
    plan.n_parts += g.n_parts;
    plan.groups.push_back(g);
  }
  plan.items.swap(split);
  return plan;
}

void FlashWorkspace::upload(const FlashPlan& plan, FlashArgs& a, cudaStream_t s) {
  if (plan.items.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw std::invalid_argument("flash_attention: more query tiles than a grid can hold");
  upload_vector(plan.items, items_, s);
  upload_vector(plan.tiles, tiles_, s);
  upload_vector(plan.ranges, ranges_, s);
  upload_vector(plan.groups, groups_, s);
  a.items = items_.data();
  a.n_items = static_cast<int32_t>(plan.items.size());
  a.tiles = tiles_.data();
  a.ranges = ranges_.data();
  a.groups = groups_.data();
  a.n_groups = static_cast<int32_t>(plan.groups.size());
  a.n_parts = plan.n_parts;
  if (plan.n_parts > 0) {
    const auto slots = static_cast<size_t>(plan.n_parts) * static_cast<size_t>(a.n_head) * kFlashQueryTile;
    part_o_.resize(slots * static_cast<size_t>(a.head_dim));
    part_ml_.resize(2 * slots);
  }
  a.part_o = part_o_.data();
  a.part_ml = part_ml_.data();
}

}  // namespace dbsa::cuda
