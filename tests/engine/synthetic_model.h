#pragma once
// Small random-weight models built in memory (no file), for forward-pass tests against the naive
// reference: shapes and options (GQA, biases, NeoX RoPE, 16-bit weights, untied head) chosen per test.
#include <random>
#include <string>

#include "engine/model_weights.h"

namespace dbsa::test {

struct SynthOptions {
  uint32_t n_vocab = 97, n_embd = 48, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 80;
  bool neox = false, qkv_bias = false, tied = true;
  WeightType type = WeightType::F32;
  RopeScaling scaling = RopeScaling::None;
  float scale_factor = 1.0f;
  uint64_t seed = 1;
};

inline ModelWeights synth_weights(const SynthOptions& o) {
  ModelWeights m;
  auto& hp = m.hp;
  hp.arch = o.neox ? "qwen2" : "llama";
  hp.n_vocab = o.n_vocab;
  hp.n_embd = o.n_embd;
  hp.n_layer = o.n_layer;
  hp.n_head = o.n_head;
  hp.n_head_kv = o.n_head_kv;
  hp.n_ff = o.n_ff;
  hp.head_dim = o.n_embd / o.n_head;
  hp.rope_dim = hp.head_dim;
  hp.rope_neox = o.neox;
  hp.rope_scaling = o.scaling;
  hp.rope_scale_factor = o.scale_factor;
  hp.rope_orig_ctx = 64;  // small so llama3 smoothing affects some of the few frequencies
  hp.tied_output = o.tied;
  hp.has_qkv_bias = o.qkv_bias;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto vec = [&](size_t n, float sd, float mean = 0.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = mean + sd * nd(rng);
    return v;
  };
  auto mat = [&](const std::string& name, int64_t rows, int64_t cols) {
    auto v = vec(static_cast<size_t>(rows * cols), 1.0f / std::sqrt(static_cast<float>(cols)));
    return o.type == WeightType::F32 ? make_f32_matrix(name, rows, cols, std::move(v))
                                     : make_16bit_matrix(name, o.type, rows, cols, v);
  };
  const int64_t E = o.n_embd, d = hp.head_dim;
  m.token_embd = mat("token_embd", o.n_vocab, E);
  m.output_norm = vec(E, 0.1f, 1.0f);
  m.output = o.tied ? m.token_embd : mat("output", o.n_vocab, E);
  for (uint32_t l = 0; l < o.n_layer; ++l) {
    LayerWeights L;
    L.attn_norm = vec(E, 0.1f, 1.0f);
    L.wq = mat("wq", o.n_head * d, E);
    L.wk = mat("wk", o.n_head_kv * d, E);
    L.wv = mat("wv", o.n_head_kv * d, E);
    L.wo = mat("wo", E, o.n_head * d);
    if (o.qkv_bias) {
      L.bq = vec(static_cast<size_t>(o.n_head * d), 0.2f);
      L.bk = vec(static_cast<size_t>(o.n_head_kv * d), 0.2f);
      L.bv = vec(static_cast<size_t>(o.n_head_kv * d), 0.2f);
    }
    L.ffn_norm = vec(E, 0.1f, 1.0f);
    L.w_gate = mat("w_gate", o.n_ff, E);
    L.w_up = mat("w_up", o.n_ff, E);
    L.w_down = mat("w_down", E, o.n_ff);
    m.layers.push_back(std::move(L));
  }
  return m;
}

}  // namespace dbsa::test
