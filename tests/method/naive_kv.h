#pragma once
// The K (before RoPE) and V of every layer that a masked dense forward pass computes, from the plain
// loops of tests/engine/naive_reference.h: what block-sparse pre-encoding must store per block.
#include <cstdint>
#include <vector>

#include "engine/naive_reference.h"

namespace dbsa::naive {

struct LayerKv {
  std::vector<float> k;  // [n][n_head_kv][head_dim], pre-RoPE
  std::vector<float> v;
};

inline std::vector<LayerKv> forward_kv(const ModelWeights& mw, const std::vector<int32_t>& tokens,
                                       const std::vector<int32_t>& pos, const std::vector<char>& mask) {
  const auto& hp = mw.hp;
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t E = hp.n_embd, d = hp.head_dim, H = hp.n_head, Hk = hp.n_head_kv, F = hp.n_ff;
  RopeParams rp = RopeParams::from_hparams(hp);
  if (!mw.rope_freqs.empty()) rp.freq_factors = mw.rope_freqs;
  const auto emb = to_float(mw.token_embd);
  std::vector<float> x(static_cast<size_t>(n * E));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < E; ++i)
      x[static_cast<size_t>(t * E + i)] = emb[static_cast<size_t>(tokens[static_cast<size_t>(t)] * E + i)];
  std::vector<LayerKv> out;
  for (const auto& L : mw.layers) {
    std::vector<float> h = x;
    rmsnorm(h, L.attn_norm, n, E, hp.rms_norm_eps);
    auto q = matmul(h, n, to_float(L.wq), H * d, E);
    auto k = matmul(h, n, to_float(L.wk), Hk * d, E);
    auto v = matmul(h, n, to_float(L.wv), Hk * d, E);
    out.push_back({k, v});  // the tiny fixtures have no Q/K/V biases (checked by the caller)
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t hh = 0; hh < H; ++hh)
        rope_head(q.data() + (t * H + hh) * d, pos[static_cast<size_t>(t)], rp);
      for (int64_t hh = 0; hh < Hk; ++hh)
        rope_head(k.data() + (t * Hk + hh) * d, pos[static_cast<size_t>(t)], rp);
    }
    auto att =
        attention(q, k, v, n, n, static_cast<int32_t>(H), static_cast<int32_t>(Hk), static_cast<int32_t>(d),
                  mask, static_cast<float>(1.0 / std::sqrt(static_cast<double>(d))));
    auto o = matmul(att, n, to_float(L.wo), E, H * d);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    h = x;
    rmsnorm(h, L.ffn_norm, n, E, hp.rms_norm_eps);
    auto g = matmul(h, n, to_float(L.w_gate), F, E);
    auto u = matmul(h, n, to_float(L.w_up), F, E);
    for (size_t i = 0; i < g.size(); ++i)
      g[i] = static_cast<float>(g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i]);
    auto dn = matmul(g, n, to_float(L.w_down), E, F);
    for (size_t i = 0; i < x.size(); ++i) x[i] += dn[i];
  }
  return out;
}

// The DBSA pre-encoding mask written out densely from the rule of DESIGN.md §1 (independently of
// AttentionLayout): token i of block b sees token j <= i of block c iff c == b, c < S or c >= b - P.
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
