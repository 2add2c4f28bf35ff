#include "engine/rope.h"

#include <immintrin.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "engine/simd_kernels.h"

namespace dbsa {

std::vector<float> llama3_freq_factors(const ModelHParams& hp, int32_t n_rot) {
  const double factor = hp.rope_scale_factor;
  const double low = hp.rope_low_freq_factor, high = hp.rope_high_freq_factor;
  const double old_ctx = hp.rope_orig_ctx;
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> out(static_cast<size_t>(n_rot / 2));
  for (int32_t i = 0; i < n_rot / 2; ++i) {
    const double freq = std::pow(static_cast<double>(hp.rope_freq_base), -2.0 * i / n_rot);
    const double wavelen = 2.0 * std::numbers::pi / freq;
    double f = 1.0;
    if (wavelen > low_wavelen) {
      f = factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      f = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    out[static_cast<size_t>(i)] = static_cast<float>(f);
  }
  return out;
}

RopeParams RopeParams::from_hparams(const ModelHParams& hp) {
  RopeParams p;
  p.head_dim = static_cast<int32_t>(hp.head_dim);
  p.n_rot = static_cast<int32_t>(hp.rope_dim ? hp.rope_dim : hp.head_dim);
  if (p.n_rot > p.head_dim || p.n_rot % 2 != 0)
    throw std::invalid_argument("rope: rotated dims " + std::to_string(p.n_rot) +
                                " must be even and <= head_dim " + std::to_string(p.head_dim));
  p.freq_base = hp.rope_freq_base;
  p.neox = hp.rope_neox;
  if (hp.rope_scaling == RopeScaling::Linear && hp.rope_scale_factor > 0)
    p.freq_scale = 1.0f / hp.rope_scale_factor;
  if (hp.rope_scaling == RopeScaling::Llama3) p.freq_factors = llama3_freq_factors(hp, p.n_rot);
  return p;
}

RopeTable::RopeTable(const RopeParams& p, std::span<const int32_t> positions) {
  update(p, positions, 0);
}

void RopeTable::update(const RopeParams& p, std::span<const int32_t> positions, int64_t first) {
  half_ = p.n_rot / 2;
  n_ = static_cast<int64_t>(positions.size());
  if (first > n_) first = n_;
  cos_.resize(static_cast<size_t>(n_ * half_));
  sin_.resize(static_cast<size_t>(n_ * half_));
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  const bool has_ff = !p.freq_factors.empty();
  for (int64_t t = first; t < n_; ++t) {
    float theta = static_cast<float>(positions[static_cast<size_t>(t)]);
    float* c = cos_.data() + t * half_;
    float* s = sin_.data() + t * half_;
    for (int32_t i = 0; i < half_; ++i) {
      const float ff = has_ff ? p.freq_factors[static_cast<size_t>(i)] : 1.0f;
      const float angle = p.freq_scale * (theta / ff);
      c[i] = std::cos(angle);
      s[i] = std::sin(angle);
      theta *= theta_scale;
    }
  }
}

namespace {

// A pair (x0, x1) turns into (fma(x0, c, -(x1*s)), fma(x0, s, x1*c)): the rounding of the reference
// implementation's build (llama.cpp's CPU backend, compiled with FMA contraction; measured against its
// Qcur/Kcur tensors on k256-q4_k_m, every value equal). Quantized models round the rotated keys' attention
// output to 8 bits, where a last-bit difference can flip a step. The vector and scalar forms below give
// the same bits.
float rotated_first(float x0, float x1, float c, float s) {
  return std::fma(x0, c, -(x1 * s));
}
float rotated_second(float x0, float x1, float c, float s) {
  return std::fma(x0, s, x1 * c);
}

// 8 values a step. Returns the pairs done.
__attribute__((target("avx2,fma"))) int32_t rotate_avx2(bool neox, int32_t half, const float* c,
                                                        const float* s, float* x) {
  int32_t i = 0;
  if (neox) {
    for (; i + 8 <= half; i += 8) {
      const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + half);
      const __m256 cv = _mm256_loadu_ps(c + i), sv = _mm256_loadu_ps(s + i);
      _mm256_storeu_ps(x + i, _mm256_fmsub_ps(x0, cv, _mm256_mul_ps(x1, sv)));
      _mm256_storeu_ps(x + i + half, _mm256_fmadd_ps(x0, sv, _mm256_mul_ps(x1, cv)));
    }
    return i;
  }
  // Interleaved pairs: each cos/sin serves two neighbouring lanes. With x0 in both lanes of a pair,
  // (c, s) as the multiplier and (x1*s, x1*c) as the addend, fmaddsub subtracts in the even lane and adds
  // in the odd one.
  const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  for (; i + 4 <= half; i += 4) {
    const __m256 xv = _mm256_loadu_ps(x + 2 * i);
    const __m256 cv = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(c + i)), dup);
    const __m256 sv = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(s + i)), dup);
    const __m256 cs = _mm256_blend_ps(cv, sv, 0xAA), sc = _mm256_blend_ps(sv, cv, 0xAA);
    const __m256 addend = _mm256_mul_ps(_mm256_movehdup_ps(xv), sc);
    _mm256_storeu_ps(x + 2 * i, _mm256_fmaddsub_ps(_mm256_moveldup_ps(xv), cs, addend));
  }
  return i;
}

}  // namespace

void rope_rotate_head(const RopeParams& p, const float* c, const float* s, float* x) {
  const int32_t half = p.n_rot / 2;
  const int32_t done = simd::has_avx2() ? rotate_avx2(p.neox, half, c, s, x) : 0;
  if (p.neox) {
    for (int32_t i = done; i < half; ++i) {
      const float x0 = x[i], x1 = x[i + half];
      x[i] = rotated_first(x0, x1, c[i], s[i]);
      x[i + half] = rotated_second(x0, x1, c[i], s[i]);
    }
  } else {
    for (int32_t i = done; i < half; ++i) {
      const float x0 = x[2 * i], x1 = x[2 * i + 1];
      x[2 * i] = rotated_first(x0, x1, c[i], s[i]);
      x[2 * i + 1] = rotated_second(x0, x1, c[i], s[i]);
    }
  }
}

void rope_apply(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x, int64_t n_tokens,
                int32_t n_heads) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* c = table.cos_row(first_row + t);
    const float* s = table.sin_row(first_row + t);
    for (int32_t h = 0; h < n_heads; ++h) rope_rotate_head(p, c, s, x + (t * n_heads + h) * p.head_dim);
  }
}

}  // namespace dbsa
