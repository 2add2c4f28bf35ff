#pragma once
// Float to GGUF tensor encodings (the inverse of dequantize for the types we write): used by the
// synthetic-model writer and available to anyone producing GGUF tensors.
#include <cstddef>
#include <span>
#include <vector>

#include "model/ggml_type.h"

namespace dbsa {

// Supported: F32, F16, BF16, Q8_0 (per 32: d = max|x| / 127, q = round(x / d)), Q4_0 (per 32: d = the
// signed value of largest magnitude / -8, q = clamp(round(x / d) + 8, 0, 15)), as ggml's reference
// quantizers do. values.size() must be a multiple of the block size; throws std::invalid_argument.
std::vector<std::byte> quantize(GgmlType type, std::span<const float> values);

}  // namespace dbsa
