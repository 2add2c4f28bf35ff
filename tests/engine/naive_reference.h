#pragma once
// Plain-loop reference versions of the engine's ops and forward pass, written from the formulas and
// never optimised: the fast paths in core/engine are tested against these. Attention here takes a
// dense [n_q][n_kv] mask, exactly what the range-list kernel must never build.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/model_weights.h"
#include "engine/rope.h"

namespace dbsa::naive {

// y[t][r] = sum_c x[t][c] * w[r][c]
inline std::vector<float> matmul(const std::vector<float>& x, int64_t n, const std::vector<float>& w,
                                 int64_t rows, int64_t cols) {
  std::vector<float> y(static_cast<size_t>(n * rows));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0.0;
      for (int64_t c = 0; c < cols; ++c)
        s += static_cast<double>(x[static_cast<size_t>(t * cols + c)]) * w[static_cast<size_t>(r * cols + c)];
      y[static_cast<size_t>(t * rows + r)] = static_cast<float>(s);
    }
  return y;
}

inline std::vector<float> to_float(const WeightMatrix& w) {
  std::vector<float> out(static_cast<size_t>(w.rows * w.cols));
  for (int64_t r = 0; r < w.rows; ++r) w.row_to_f32(r, out.data() + r * w.cols);
  return out;
}

inline void rmsnorm(std::vector<float>& x, const std::vector<float>& w, int64_t n, int64_t dim, float eps) {
  for (int64_t t = 0; t < n; ++t) {
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      ss += static_cast<double>(x[static_cast<size_t>(t * dim + i)]) * x[static_cast<size_t>(t * dim + i)];
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(dim) + eps);
    for (int64_t i = 0; i < dim; ++i)
      x[static_cast<size_t>(t * dim + i)] =
          static_cast<float>(x[static_cast<size_t>(t * dim + i)] * inv * w[static_cast<size_t>(i)]);
  }
}

// Rotates one head vector at position pos, angles computed directly in double.
inline void rope_head(float* x, int32_t pos, const RopeParams& p) {
  const int32_t half = p.n_rot / 2;
  for (int32_t i = 0; i < half; ++i) {
    double theta = pos * std::pow(static_cast<double>(p.freq_base), -2.0 * i / p.n_rot);
    if (!p.freq_factors.empty()) theta /= p.freq_factors[static_cast<size_t>(i)];
    theta *= p.freq_scale;
    const double c = std::cos(theta), s = std::sin(theta);
    const int32_t a = p.neox ? i : 2 * i, b = p.neox ? i + half : 2 * i + 1;
    const double x0 = x[a], x1 = x[b];
    x[a] = static_cast<float>(x0 * c - x1 * s);
    x[b] = static_cast<float>(x0 * s + x1 * c);
  }
}

// out[i][h][d] = softmax over allowed j of (q_i·k_j * scale) applied to v_j; rows with no allowed key
// give zeros. q: [n_q][n_head][d], k/v: [n_kv][n_head_kv][d], mask: [n_q][n_kv] (1 = may attend).
inline std::vector<float> attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int64_t n_q, int64_t n_kv, int32_t n_head,
                                    int32_t n_head_kv, int32_t d, const std::vector<char>& mask,
                                    float scale) {
  std::vector<float> out(static_cast<size_t>(n_q * n_head * d), 0.0f);
  const int32_t g = n_head / n_head_kv;
  std::vector<double> s(static_cast<size_t>(n_kv));
  for (int64_t i = 0; i < n_q; ++i)
    for (int32_t h = 0; h < n_head; ++h) {
      const int32_t hk = h / g;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n_kv; ++j) {
        if (!mask[static_cast<size_t>(i * n_kv + j)]) continue;
        double dot = 0.0;
        for (int32_t x = 0; x < d; ++x)
          dot += static_cast<double>(q[static_cast<size_t>((i * n_head + h) * d + x)]) *
                 k[static_cast<size_t>((j * n_head_kv + hk) * d + x)];
        s[static_cast<size_t>(j)] = dot * scale;
        mx = std::max(mx, s[static_cast<size_t>(j)]);
      }
      if (mx == -std::numeric_limits<double>::infinity()) continue;
      double sum = 0.0;
      for (int64_t j = 0; j < n_kv; ++j)
        if (mask[static_cast<size_t>(i * n_kv + j)])
          sum += (s[static_cast<size_t>(j)] = std::exp(s[static_cast<size_t>(j)] - mx));
      for (int32_t x = 0; x < d; ++x) {
        double acc = 0.0;
        for (int64_t j = 0; j < n_kv; ++j)
          if (mask[static_cast<size_t>(i * n_kv + j)])
            acc += s[static_cast<size_t>(j)] * v[static_cast<size_t>((j * n_head_kv + hk) * d + x)];
        out[static_cast<size_t>((i * n_head + h) * d + x)] = static_cast<float>(acc / sum);
      }
    }
  return out;
}

// One layer's keys (before RoPE) and values, [n][n_head_kv][head_dim] each.
struct LayerKv {
  std::vector<float> k;
  std::vector<float> v;
};

// Whole-model forward over tokens at positions with a dense mask [n][n] (causal inside it is the
// caller's business); returns logits of every position [n][n_vocab] and, when kv is given, every
// layer's K (before RoPE) and V.
inline std::vector<float> forward(const ModelWeights& mw, const std::vector<int32_t>& tokens,
                                  const std::vector<int32_t>& pos, const std::vector<char>& mask,
                                  std::vector<LayerKv>* kv = nullptr) {
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
  auto add_bias = [](std::vector<float>& y, const std::vector<float>& b, int64_t rows, int64_t cols) {
    if (b.empty()) return;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) y[static_cast<size_t>(r * cols + c)] += b[static_cast<size_t>(c)];
  };
  for (const auto& L : mw.layers) {
    std::vector<float> h = x;
    rmsnorm(h, L.attn_norm, n, E, hp.rms_norm_eps);
    auto q = matmul(h, n, to_float(L.wq), H * d, E);
    auto k = matmul(h, n, to_float(L.wk), Hk * d, E);
    auto v = matmul(h, n, to_float(L.wv), Hk * d, E);
    add_bias(q, L.bq, n, H * d);
    add_bias(k, L.bk, n, Hk * d);
    add_bias(v, L.bv, n, Hk * d);
    if (kv) kv->push_back({k, v});
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
  rmsnorm(x, mw.output_norm, n, E, hp.rms_norm_eps);
  return matmul(x, n, to_float(mw.output), hp.n_vocab, E);
}

// Dense causal mask [n][n].
inline std::vector<char> causal_mask(int64_t n) {
  std::vector<char> m(static_cast<size_t>(n * n), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) m[static_cast<size_t>(i * n + j)] = 1;
  return m;
}

}  // namespace dbsa::naive
