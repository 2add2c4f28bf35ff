#pragma once
// Conversion of GGUF tensor data to float, exactly as the ggml block formats define it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/ggml_type.h"
#include "model/gguf_file.h"

namespace dbsa {

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);  // round to nearest even, like the IEEE conversion
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);  // round to nearest even

// Dequantizes n elements (n must be a multiple of the type's block size) from src into dst.
// Throws std::invalid_argument for types that cannot be dequantized.
void dequantize(GgmlType type, const void* src, float* dst, int64_t n);

// Whole tensor to float; throws GgufError naming the tensor and its type when unsupported.
std::vector<float> dequantize_tensor(const GgufTensorInfo& t);

}  // namespace dbsa
