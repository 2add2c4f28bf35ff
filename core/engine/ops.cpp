#include "engine/ops.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/simd_kernels.h"

namespace dbsa {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    // Like the reference implementation: each square rounded to float, accumulated in double (rows
    // can hold large activations). Quantized models round the result to 8 bits, where even a last-bit
    // difference here can flip a rounding step.
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i] * xr[i]);
    const float scale = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(dim)) + eps);
    for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * w[i];
  }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  simd::silu_mul(gate, up, out, n);
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void add_bias_rows(float* y, const float* bias, int64_t n_rows, int64_t cols) {
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] += bias[c];
}

void embedding_lookup(const WeightMatrix& table, std::span<const int32_t> tokens, float* out) {
  for (size_t t = 0; t < tokens.size(); ++t) {
    const int32_t id = tokens[t];
    if (id < 0 || id >= table.rows)
      throw std::out_of_range("embedding " + table.name + ": token id " + std::to_string(id) +
                              " at input position " + std::to_string(t) + " is outside [0, " +
                              std::to_string(table.rows) + ")");
    table.row_to_f32(id, out + static_cast<int64_t>(t) * table.cols);
  }
}

}  // namespace dbsa
