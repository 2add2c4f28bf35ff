#pragma once
// Which keys each query may attend to, as lists of KV index ranges per query tile (never an N×N mask,
// so a 90k-token pool costs O(tiles × ranges) memory). Attention is always causal: query i owns the key
// at KV index query_kv_offset + i and never sees a key with a larger index, so a range may extend past
// the tile and only the visible prefix is used.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/block_layout.h"

namespace dbsa {

struct KvRange {
  int64_t begin = 0;  // first KV index
  int64_t end = 0;    // one past the last
};

struct AttentionTile {
  int64_t q_begin = 0;  // queries [q_begin, q_end) of the request
  int64_t q_end = 0;
  std::vector<KvRange> ranges;  // sorted, non-overlapping; may be empty (the queries see nothing)
};

struct AttentionLayout {
  int64_t n_queries = 0;
  int64_t query_kv_offset = 0;       // KV index of query 0's own key
  std::vector<AttentionTile> tiles;  // in order, covering [0, n_queries) exactly

  // Every query sees all keys up to its own: one tile, one range [0, query_kv_offset + n_queries).
  static AttentionLayout dense_causal(int64_t n_queries, int64_t query_kv_offset = 0);

  // DBSA pre-encoding: block b = tokens [block_starts[b], block_starts[b+1]) (block_starts has
  // n_blocks+1 entries, starting at 0); a token of block b sees the blocks `pattern` says it sees
  // (causal inside its block). The queries are the whole sequence (query_kv_offset 0).
  static AttentionLayout block_sparse(std::span<const int64_t> block_starts, const BlockLayout& pattern);

  // The layout of queries [q0, q1) alone, re-based to start at query 0, with ranges clipped to the keys
  // those queries can see (for chunked forward passes).
  AttentionLayout slice(int64_t q0, int64_t q1) const;

  // Throws std::invalid_argument naming the tile and range when the layout is malformed or refers to
  // keys outside [0, n_kv).
  void validate(int64_t n_kv) const;

  // Whether query q may see key j (slow; for tests and attention-weight capture).
  bool allows(int64_t q, int64_t j) const;
  // Number of (query, key) pairs visible: the attention work of this layout.
  int64_t visible_pairs() const;
};

}  // namespace dbsa
