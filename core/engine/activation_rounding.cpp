#include "engine/activation_rounding.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model/dequantize.h"

namespace dbsa {

namespace {

// ggml's x86 Q8_0 activation path: q = round-to-nearest-even(x * 127/amax), scale stored as F16.
void q8_0_block(const float* x, float* y) {
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const float dh = f16_to_f32(f32_to_f16(d));
  for (int i = 0; i < 32; ++i) y[i] = dh * std::nearbyint(x[i] * id);
}

// ggml's Q8_K: the signed value of largest magnitude maps to -127, the scale is a float.
void q8_k_block(const float* x, float* y) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < 256; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax == 0.0f) {
    std::fill(y, y + 256, 0.0f);
    return;
  }
  const float iscale = -127.0f / max;
  const float d = 1.0f / iscale;
  for (int i = 0; i < 256; ++i) y[i] = d * std::min(127.0f, std::nearbyint(iscale * x[i]));
}

}  // namespace

void round_activations(ActivationRounding mode, const float* x, float* y, int64_t n_rows, int64_t cols) {
  const int64_t n = n_rows * cols;
  switch (mode) {
    case ActivationRounding::None:
      if (y != x) std::copy(x, x + n, y);
      return;
    case ActivationRounding::F16:
      for (int64_t i = 0; i < n; ++i) y[i] = f16_to_f32(f32_to_f16(x[i]));
      return;
    case ActivationRounding::BF16:
      for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
      return;
    case ActivationRounding::Q8_0:
    case ActivationRounding::Q8_K: {
      const int64_t block = mode == ActivationRounding::Q8_0 ? 32 : 256;
      if (cols % block != 0)
        throw std::invalid_argument("round_activations: rows of " + std::to_string(cols) +
                                    " values are not whole blocks of " + std::to_string(block));
      for (int64_t b = 0; b < n; b += block) (block == 32 ? q8_0_block : q8_k_block)(x + b, y + b);
      return;
    }
  }
}

}  // namespace dbsa
