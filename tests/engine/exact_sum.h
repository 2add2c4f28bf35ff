#pragma once
// The exact value of a quantized dot product, for the kernel tests (tests/engine/test_quant_kernels*.cpp).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/quant_kernels.h"
#include "model/dequantize.h"

namespace dbsa::test {

// Σ w·x of the dequantized weights and activations in double, and Σ|w·x|. The formats with a min (Q4_1,
// Q5_1) take a block's activation sum from Q8_1's s (F16 of d·Σq), as the reference does, so their min's
// share is m·s here too.
struct ExactSum {
  double value = 0.0, magnitude = 0.0;
};
inline ExactSum exact_sum(WeightType t, const std::byte* w, const std::byte* xq, const float* wf,
                          const float* xf, int64_t n) {
  ExactSum e;
  for (int64_t i = 0; i < n; ++i) {
    e.value += static_cast<double>(wf[i]) * xf[i];
    e.magnitude += std::fabs(static_cast<double>(wf[i]) * xf[i]);
  }
  if (activation_blocks(t) != ActivationBlocks::Q8_1) return e;
  const auto block_bytes = ggml_type_info(static_cast<uint32_t>(ggml_type_of(t)))->block_bytes;
  const auto* x = reinterpret_cast<const BlockQ8_1*>(xq);
  for (int64_t b = 0; b < n / 32; ++b) {
    uint16_t m;
    std::memcpy(&m, w + b * block_bytes + 2, 2);
    double x_sum = 0.0;
    for (int i = 0; i < 32; ++i) x_sum += xf[32 * b + i];
    e.value += f16_to_f32(m) * (f16_to_f32(x[b].s) - x_sum);
  }
  return e;
}

}  // namespace dbsa::test
