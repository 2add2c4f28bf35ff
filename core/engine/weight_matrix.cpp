#include "engine/weight_matrix.h"

#include <cstring>
#include <stdexcept>

#include "engine/simd_kernels.h"
#include "model/dequantize.h"

namespace dbsa {

GgmlType ggml_type_of(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return GgmlType::F32;
    case WeightType::F16:
      return GgmlType::F16;
    case WeightType::BF16:
      return GgmlType::BF16;
    case WeightType::Q8_0:
      return GgmlType::Q8_0;
    case WeightType::Q4_0:
      return GgmlType::Q4_0;
    case WeightType::Q5_0:
      return GgmlType::Q5_0;
    case WeightType::Q4_1:
      return GgmlType::Q4_1;
    case WeightType::Q5_1:
      return GgmlType::Q5_1;
    case WeightType::IQ4_NL:
      return GgmlType::IQ4_NL;
    case WeightType::IQ4_XS:
      return GgmlType::IQ4_XS;
    case WeightType::Q2_K:
      return GgmlType::Q2_K;
    case WeightType::Q3_K:
      return GgmlType::Q3_K;
    case WeightType::Q4_K:
      return GgmlType::Q4_K;
    case WeightType::Q5_K:
      return GgmlType::Q5_K;
    case WeightType::Q6_K:
      return GgmlType::Q6_K;
  }
  return GgmlType::F32;
}

bool is_quantized(WeightType t) {
  return t != WeightType::F32 && t != WeightType::F16 && t != WeightType::BF16;
}

std::string_view weight_type_name(WeightType t) {
  return ggml_type_name(ggml_type_of(t));
}

int64_t WeightMatrix::row_bytes() const {
  return static_cast<int64_t>(ggml_row_size(ggml_type_of(type), static_cast<uint64_t>(cols)));
}

void WeightMatrix::row_to_f32(int64_t r, float* dst) const {
  switch (type) {
    case WeightType::F32:
      std::memcpy(dst, f32() + r * cols, static_cast<size_t>(cols) * sizeof(float));
      return;
    case WeightType::F16:
      simd::f16_to_f32_row(u16() + r * cols, dst, cols);
      return;
    case WeightType::BF16:
      simd::bf16_to_f32_row(u16() + r * cols, dst, cols);
      return;
    default:
      dequantize(ggml_type_of(type), row_data(r), dst, cols);
      return;
  }
}

namespace {

// A matrix over an owned buffer.
template <class T>
WeightMatrix wrap(std::string name, WeightType type, int64_t rows, int64_t cols,
                  std::shared_ptr<std::vector<T>> buf) {
  WeightMatrix w;
  w.name = std::move(name);
  w.type = type;
  w.rows = rows;
  w.cols = cols;
  w.data = buf->data();
  w.owner = buf;
  return w;
}

void check_count(const std::string& name, int64_t want, size_t got, const char* what) {
  if (static_cast<int64_t>(got) != want)
    throw std::invalid_argument("weight " + name + ": expected " + std::to_string(want) + " " + what +
                                ", got " + std::to_string(got));
}

}  // namespace

WeightMatrix make_f32_matrix(std::string name, int64_t rows, int64_t cols, std::vector<float> values) {
  check_count(name, rows * cols, values.size(), "values");
  auto buf = std::make_shared<std::vector<float>>(std::move(values));
  return wrap(std::move(name), WeightType::F32, rows, cols, std::move(buf));
}

WeightMatrix make_16bit_matrix(std::string name, WeightType type, int64_t rows, int64_t cols,
                               const std::vector<float>& values) {
  if (type == WeightType::F32) throw std::invalid_argument("make_16bit_matrix: type must be F16 or BF16");
  check_count(name, rows * cols, values.size(), "values");
  auto buf = std::make_shared<std::vector<uint16_t>>(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    (*buf)[i] = type == WeightType::F16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
  return wrap(std::move(name), type, rows, cols, std::move(buf));
}

WeightMatrix make_quantized_matrix(std::string name, WeightType type, int64_t rows, int64_t cols,
                                   std::vector<std::byte> blocks) {
  if (!is_quantized(type)) throw std::invalid_argument("make_quantized_matrix: type must be a block type");
  auto buf = std::make_shared<std::vector<std::byte>>(std::move(blocks));
  WeightMatrix w = wrap(std::move(name), type, rows, cols, buf);
  check_count(w.name, rows * w.row_bytes(), buf->size(), "bytes");
  return w;
}

}  // namespace dbsa
