#pragma once
// Random GGUF blocks for the kernel tests (tests/engine/test_quant_kernels*.cpp): every quant byte random
// (so every bit pattern occurs, -128 in Q8_0 included), scales random F16 values of either sign.
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "engine/weight_matrix.h"
#include "model/dequantize.h"

namespace dbsa::test {

inline void put_f16(std::byte* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

inline std::vector<std::byte> random_rows(WeightType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  const auto info = *ggml_type_info(static_cast<uint32_t>(ggml_type_of(t)));
  const int64_t blocks = rows * cols / info.block_elems;
  std::vector<std::byte> out(static_cast<size_t>(blocks * info.block_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
  for (auto& b : out) b = static_cast<std::byte>(byte(rng));
  for (int64_t i = 0; i < blocks; ++i) {
    std::byte* b = out.data() + i * info.block_bytes;
    switch (t) {
      case WeightType::Q4_K:
      case WeightType::Q5_K:
        put_f16(b, scale(rng));
        put_f16(b + 2, scale(rng));
        break;
      case WeightType::Q6_K:
        put_f16(b + 208, scale(rng));
        break;
      case WeightType::Q3_K:
        put_f16(b + 108, scale(rng));
        break;
      case WeightType::Q2_K:
        put_f16(b + 80, scale(rng));
        put_f16(b + 82, scale(rng));
        break;
      case WeightType::Q4_1:
      case WeightType::Q5_1:
        put_f16(b, scale(rng));
        put_f16(b + 2, scale(rng));
        break;
      default:  // the 32-value formats: the scale first
        put_f16(b, scale(rng));
        break;
    }
  }
  return out;
}

inline WeightMatrix random_matrix(WeightType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  return make_quantized_matrix("w", t, rows, cols, random_rows(t, rows, cols, rng));
}

}  // namespace dbsa::test
