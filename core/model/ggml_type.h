#pragma once
// Tensor element types of the GGUF format (numbering fixed by the ggml specification).
#include <cstdint>
#include <optional>
#include <string_view>

namespace dbsa {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ4_NL = 20,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct GgmlTypeInfo {
  std::string_view name;
  uint32_t block_elems;  // elements per quantization block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
  bool dequantizable;    // we can turn it into float
};

// Traits of a known type; nullopt for a numeric value the spec does not define (or we do not know).
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t raw_type);
std::string_view ggml_type_name(GgmlType t);

// Bytes of n_elems consecutive elements of type t; throws std::invalid_argument when t is unknown or
// n_elems is not a multiple of its block size.
uint64_t ggml_row_size(GgmlType t, uint64_t n_elems);

}  // namespace dbsa
