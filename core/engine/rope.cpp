#include "engine/rope.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

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

void rope_rotate_head(const RopeParams& p, const float* c, const float* s, float* x) {
  const int32_t half = p.n_rot / 2;
  if (p.neox) {
    for (int32_t i = 0; i < half; ++i) {
      const float x0 = x[i], x1 = x[i + half];
      x[i] = x0 * c[i] - x1 * s[i];
      x[i + half] = x0 * s[i] + x1 * c[i];
    }
  } else {
    for (int32_t i = 0; i < half; ++i) {
      const float x0 = x[2 * i], x1 = x[2 * i + 1];
      x[2 * i] = x0 * c[i] - x1 * s[i];
      x[2 * i + 1] = x0 * s[i] + x1 * c[i];
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
