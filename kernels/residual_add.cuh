#pragma once
// Residual and bias additions on the device; CPU twins: dbsa::add_inplace and dbsa::add_bias_rows
// (core/engine/ops.h).
#include <cuda_runtime.h>

#include <cstdint>

namespace dbsa::cuda {

// y[i] += x[i] over n values.
void add_inplace(float* y, const float* x, int64_t n, cudaStream_t s);
// Adds bias[cols] to each of n_rows rows of y.
void add_bias_rows(float* y, const float* bias, int64_t n_rows, int64_t cols, cudaStream_t s);

}  // namespace dbsa::cuda
