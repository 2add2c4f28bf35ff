#pragma once
// The K (before RoPE) and V of every layer that a masked dense forward pass computes (the plain loops of
// tests/engine/naive_reference.h): what block-sparse pre-encoding must store per block.
#include <cstdint>
#include <vector>

#include "engine/naive_reference.h"

namespace dbsa::naive {

inline std::vector<LayerKv> forward_kv(const ModelWeights& mw, const std::vector<int32_t>& tokens,
                                       const std::vector<int32_t>& pos, const std::vector<char>& mask) {
  std::vector<LayerKv> out;
  forward(mw, tokens, pos, mask, &out);
  return out;
}

// The DBSA pre-encoding mask written out densely from the rule of docs/METHOD.md "Pre-encoding"
// (independently of AttentionLayout): token i of block b sees token j <= i of block c iff c == b, c < S or c
// >= b - P.
inline std::vector<char> block_sparse_mask(const std::vector<int64_t>& starts, int64_t S, int64_t P) {
  const int64_t n = starts.back();
  std::vector<int64_t> block_of(static_cast<size_t>(n));
  for (size_t b = 0; b + 1 < starts.size(); ++b)
    for (int64_t t = starts[b]; t < starts[b + 1]; ++t)
      block_of[static_cast<size_t>(t)] = static_cast<int64_t>(b);
  std::vector<char> m(static_cast<size_t>(n * n), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      const int64_t b = block_of[static_cast<size_t>(i)], c = block_of[static_cast<size_t>(j)];
      m[static_cast<size_t>(i * n + j)] = (c == b || S < 0 || c < S || P < 0 || c >= b - P) ? 1 : 0;
    }
  return m;
}

}  // namespace dbsa::naive
