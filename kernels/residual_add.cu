#include "cuda_check.h"
#include "launch_config.cuh"
#include "residual_add.cuh"

namespace dbsa::cuda {
namespace {

// cols == 0 means "x is a full array"; otherwise x is one row of cols values repeated down y.
__global__ void add_kernel(float* y, const float* x, int64_t n, int64_t cols) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    y[i] += x[cols ? i % cols : i];
}

}  // namespace

void add_inplace(float* y, const float* x, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  add_kernel<<<elementwise_blocks(n), kElementwiseThreads, 0, s>>>(y, x, n, 0);
  DBSA_CUDA_CHECK_LAUNCH();
}

void add_bias_rows(float* y, const float* bias, int64_t n_rows, int64_t cols, cudaStream_t s) {
  if (n_rows <= 0 || cols <= 0) return;
  add_kernel<<<elementwise_blocks(n_rows * cols), kElementwiseThreads, 0, s>>>(y, bias, n_rows * cols, cols);
  DBSA_CUDA_CHECK_LAUNCH();
}

}  // namespace dbsa::cuda
