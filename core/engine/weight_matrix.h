#pragma once
// A weight matrix as the matmul consumes it: `rows` output features, each a contiguous row of `cols`
// input features (GGUF's layout: dims[0] = cols). F16/BF16 rows stay 16-bit and are widened on the fly;
// quantized rows (Q8_0, Q4_0, Q5_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) stay in their GGUF blocks, used in place in
// the mapped file, and meet 8-bit activation blocks in integer dot products (engine/quant_kernels.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/ggml_type.h"

namespace dbsa {

enum class WeightType {
  F32,
  F16,
  BF16,
  Q8_0,
  Q4_0,
  Q5_0,
  Q4_1,
  Q5_1,
  IQ4_NL,
  Q2_K,
  Q3_K,
  Q4_K,
  Q5_K,
  Q6_K,
  IQ4_XS
};

bool is_quantized(WeightType t);
std::string_view weight_type_name(WeightType t);  // "F32", "Q4_K", ...
GgmlType ggml_type_of(WeightType t);              // the GGUF type of the same encoding

// How activations are rounded before they meet this matrix. The reference engine (ggml) converts the
// activations to the weight's "dot type" — F16 for F16 weights, 8-bit blocks for quantized ones — so
// reproducing that rounding makes our logits agree with it to float noise instead of to rounding
// noise. None keeps full F32 activations.
enum class ActivationRounding { None, F16, BF16, Q8_0, Q8_K };

struct WeightMatrix {
  std::string name;
  WeightType type = WeightType::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;         // rows*cols elements of `type`; may point into a memory-mapped file
  std::shared_ptr<const void> owner;  // keeps `data` alive (an owned buffer or the mapped file)
  ActivationRounding act_rounding = ActivationRounding::None;
  // The tensor's type in the file; `type` differs when the matrix was dequantized or expanded at load.
  GgmlType file_type = GgmlType::F32;
  // Dequantized at load from a quantized block format (Q8_0, Q4_K, ...) into `type`.
  bool dequantized = false;
  // Dot products accumulate in double. The reference multiplies quantized weights by 8-bit activations
  // in exact integer sums; dequantized F32 weights times the rounded activations are the same products,
  // and summing them in double lands within an ulp of those sums where float sgemm drifts by tens of
  // ulps (enough to flip later 8-bit roundings: 97.9% vs 98.6% equal argmax on the Q4_K fixture).
  bool exact_sums = false;

  // Bytes of one row (for quantized types: its blocks) and of the whole matrix.
  int64_t row_bytes() const;
  int64_t bytes() const { return rows * row_bytes(); }
  const void* row_data(int64_t r) const { return static_cast<const char*>(data) + r * row_bytes(); }
  const float* f32() const { return static_cast<const float*>(data); }
  const uint16_t* u16() const { return static_cast<const uint16_t*>(data); }
  // Widens (or dequantizes) row r into dst[cols].
  void row_to_f32(int64_t r, float* dst) const;
};

// Wraps an owned float buffer (tests, synthesized weights).
WeightMatrix make_f32_matrix(std::string name, int64_t rows, int64_t cols, std::vector<float> values);
// Converts a float buffer to F16 (or BF16) storage, rounding to nearest even.
WeightMatrix make_16bit_matrix(std::string name, WeightType type, int64_t rows, int64_t cols,
                               const std::vector<float>& values);
// Wraps an owned buffer of GGUF blocks of a quantized type (tests).
WeightMatrix make_quantized_matrix(std::string name, WeightType type, int64_t rows, int64_t cols,
                                   std::vector<std::byte> blocks);

}  // namespace dbsa
