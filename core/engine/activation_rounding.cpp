#include "engine/activation_rounding.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/quant_kernels.h"
#include "model/dequantize.h"

namespace dbsa {

ActivationRounding reference_rounding(GgmlType t) {
  switch (t) {
    case GgmlType::F32:
      return ActivationRounding::None;
    case GgmlType::F16:
      return ActivationRounding::F16;
    case GgmlType::BF16:
      return ActivationRounding::BF16;
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
    case GgmlType::IQ4_NL:
      return ActivationRounding::Q8_0;
    default:
      return ActivationRounding::Q8_K;
  }
}

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
      const ActivationBlocks blocks =
          mode == ActivationRounding::Q8_0 ? ActivationBlocks::Q8_0 : ActivationBlocks::Q8_K;
      const int64_t block = activation_block_elems(blocks);
      if (cols % block != 0)
        throw std::invalid_argument("round_activations: rows of " + std::to_string(cols) +
                                    " values are not whole blocks of " + std::to_string(block));
      // The blocks the integer kernels take, turned back into the values they stand for.
      thread_local std::vector<std::byte> q;
      q.resize(static_cast<size_t>(activation_row_bytes(blocks, cols)));
      for (int64_t r = 0; r < n_rows; ++r) {
        quantize_activations(blocks, x + r * cols, q.data(), cols);
        dequantize_activations(blocks, q.data(), y + r * cols, cols);
      }
      return;
    }
  }
}

}  // namespace dbsa
