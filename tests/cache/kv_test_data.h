#pragma once
// Deterministic K/V data and cache keys for the cache tests.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cache/block_format.h"
#include "cache/cache_key.h"
#include "cache/cache_writer.h"

namespace dbsa::test {

inline CacheKey sample_key(KvDtype dtype = KvDtype::F16) {
  CacheKey k;
  k.model_fingerprint = "model-abc123";
  k.tokenizer_fingerprint = "tok-def456";
  k.pool_fingerprint = "pool-trec-seed0";
  k.block_demos = 50;
  k.grouping = "in-order";
  k.pattern = {1, 2};
  k.bos = false;
  k.dtype = dtype;
  return k;
}

inline KvShape sample_shape() {
  return KvShape{3, 2, 8};
}

// Token count of block b: varied so concatenation offsets are exercised.
inline int32_t sample_tokens(int32_t block) {
  return 5 + (block * 7) % 11;
}

// K (is_v = false) or V of (block, layer): [n_tokens][n_head_kv][head_dim], values with a different
// magnitude per head (as real keys have) so per-head int8 scales matter.
inline std::vector<float> sample_kv(const KvShape& s, int32_t block, int32_t layer, bool is_v) {
  const int32_t n = sample_tokens(block);
  std::mt19937 rng(static_cast<uint32_t>(block * 1000 + layer * 10 + (is_v ? 1 : 0)));
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> out(static_cast<std::size_t>(n) * s.row());
  for (int32_t t = 0; t < n; ++t) {
    for (int32_t h = 0; h < s.n_head_kv; ++h) {
      const float mag = 0.5f + 3.0f * static_cast<float>(h);
      for (int32_t d = 0; d < s.head_dim; ++d) {
        out[(static_cast<std::size_t>(t) * s.n_head_kv + h) * s.head_dim + d] = mag * dist(rng);
      }
    }
  }
  return out;
}

inline BlockContent sample_content(int32_t block) {
  BlockContent c;
  const int32_t n = sample_tokens(block);
  for (int32_t i = 0; i < n; ++i) c.token_ids.push_back(1000 * block + i);
  c.demo_ids = {2 * block, 2 * block + 1};
  c.text = "block " + std::to_string(block) + " text with \"quotes\", commas and ünïcode";
  c.labels = {"LOC:city", "label, with comma \"q\""};
  return c;
}

// Writes every layer of `block` (block-major order).
inline void put_sample_block(CacheWriter& w, int32_t block) {
  const KvShape s = w.shape();
  for (int32_t layer = 0; layer < s.n_layer; ++layer) {
    const auto k = sample_kv(s, block, layer, false);
    const auto v = sample_kv(s, block, layer, true);
    w.put_layer(block, layer, k.data(), v.data());
  }
}

// A cache of blocks 0..n_blocks-1 of the sample data under `store`, committed.
template <class Store>
void build_sample_cache(const Store& store, const CacheKey& key, int32_t n_blocks) {
  CacheWriter w = store.create(key, sample_shape());
  for (int32_t b = 0; b < n_blocks; ++b) {
    w.add_block(sample_content(b));
    put_sample_block(w, b);
  }
  w.commit();
}

}  // namespace dbsa::test
