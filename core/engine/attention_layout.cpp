#include "engine/attention_layout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dbsa {

AttentionLayout AttentionLayout::dense_causal(int64_t n_queries, int64_t query_kv_offset) {
  AttentionLayout l;
  l.n_queries = n_queries;
  l.query_kv_offset = query_kv_offset;
  if (n_queries > 0) l.tiles.push_back({0, n_queries, {{0, query_kv_offset + n_queries}}});
  return l;
}

AttentionLayout AttentionLayout::block_sparse(std::span<const int64_t> starts, const BlockLayout& pattern) {
  if (starts.size() < 2 || starts.front() != 0)
    throw std::invalid_argument("block_sparse layout: block_starts needs >= 2 entries starting at 0");
  pattern.validate();
  const auto n_blocks = static_cast<int64_t>(starts.size()) - 1;
  AttentionLayout l;
  l.n_queries = starts.back();
  for (int64_t b = 0; b < n_blocks; ++b) {
    const int64_t qb = starts[static_cast<size_t>(b)], qe = starts[static_cast<size_t>(b) + 1];
    if (qe < qb)
      throw std::invalid_argument("block_sparse layout: block " + std::to_string(b) +
                                  " ends before it starts");
    if (qe == qb) continue;
    AttentionTile t{qb, qe, {}};
    // Runs of consecutive visible blocks become one key range each.
    for (int64_t c = 0; c <= b; ++c) {
      if (!pattern.sees(b, c)) continue;
      const int64_t kb = starts[static_cast<size_t>(c)], ke = starts[static_cast<size_t>(c) + 1];
      if (!t.ranges.empty() && t.ranges.back().end == kb)
        t.ranges.back().end = ke;
      else
        t.ranges.push_back({kb, ke});
    }
    l.tiles.push_back(std::move(t));
  }
  return l;
}

AttentionLayout AttentionLayout::slice(int64_t q0, int64_t q1) const {
  AttentionLayout out;
  out.n_queries = q1 - q0;
  out.query_kv_offset = query_kv_offset + q0;
  for (const auto& t : tiles) {
    const int64_t b = std::max(t.q_begin, q0), e = std::min(t.q_end, q1);
    if (b >= e) continue;
    // Keys past the slice's last query are causally invisible to it: clip them so the slice validates
    // against a KV view that ends there (chunked passes have not computed those keys yet).
    const int64_t kv_end = out.query_kv_offset + out.n_queries;
    AttentionTile st{b - q0, e - q0, {}};
    for (const auto& r : t.ranges)
      if (r.begin < kv_end) st.ranges.push_back({r.begin, std::min(r.end, kv_end)});
    out.tiles.push_back(std::move(st));
  }
  return out;
}

void AttentionLayout::validate(int64_t n_kv) const {
  if (n_queries < 0 || query_kv_offset < 0)
    throw std::invalid_argument("attention layout: negative query count or offset");
  if (query_kv_offset + n_queries > n_kv)
    throw std::invalid_argument("attention layout: queries' own keys end at " +
                                std::to_string(query_kv_offset + n_queries) + " but the KV view holds " +
                                std::to_string(n_kv));
  int64_t expect = 0;
  for (size_t i = 0; i < tiles.size(); ++i) {
    const auto& t = tiles[i];
    if (t.q_begin != expect || t.q_end <= t.q_begin)
      throw std::invalid_argument("attention layout: tile " + std::to_string(i) + " covers [" +
                                  std::to_string(t.q_begin) + ", " + std::to_string(t.q_end) +
                                  ") but tiles must cover the queries in order from " +
                                  std::to_string(expect));
    expect = t.q_end;
    int64_t prev_end = 0;
    for (size_t r = 0; r < t.ranges.size(); ++r) {
      const auto& kr = t.ranges[r];
      if (kr.begin < prev_end || kr.end < kr.begin || kr.end > n_kv)
        throw std::invalid_argument(
            "attention layout: tile " + std::to_string(i) + " range " + std::to_string(r) + " [" +
            std::to_string(kr.begin) + ", " + std::to_string(kr.end) +
            ") is unsorted, overlapping or outside the KV view of " + std::to_string(n_kv));
      prev_end = kr.end;
    }
  }
  if (expect != n_queries)
    throw std::invalid_argument("attention layout: tiles cover " + std::to_string(expect) + " of " +
                                std::to_string(n_queries) + " queries");
}

bool AttentionLayout::allows(int64_t q, int64_t j) const {
  if (j > query_kv_offset + q) return false;
  for (const auto& t : tiles) {
    if (q < t.q_begin || q >= t.q_end) continue;
    for (const auto& r : t.ranges)
      if (j >= r.begin && j < r.end) return true;
    return false;
  }
  return false;
}

int64_t AttentionLayout::visible_pairs() const {
  int64_t total = 0;
  for (const auto& t : tiles)
    for (int64_t q = t.q_begin; q < t.q_end; ++q) {
      const int64_t self = query_kv_offset + q;
      for (const auto& r : t.ranges) total += std::max<int64_t>(0, std::min(r.end, self + 1) - r.begin);
    }
  return total;
}

}  // namespace dbsa
