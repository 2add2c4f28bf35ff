#include "cuda_check.h"
#include "rms_norm.cuh"

namespace dbsa::cuda {
namespace {

constexpr int kThreads = 256;

// One block per row. The sum of squares is accumulated in double like the CPU twin: rows can hold
// activations of very different magnitude, and the norm is memory-bound, so double costs nothing visible.
__global__ void rms_norm_kernel(const float* x, const float* w, float* y, int64_t dim, float eps) {
  __shared__ double partial[kThreads];
  const float* xr = x + blockIdx.x * dim;
  float* yr = y + blockIdx.x * dim;
  double ss = 0.0;
  for (int64_t i = threadIdx.x; i < dim; i += kThreads) ss += static_cast<double>(xr[i]) * xr[i];
  partial[threadIdx.x] = ss;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  // Same rounding steps as the twin: mean in double, then float sqrt of (mean + eps).
  const float scale = 1.0f / sqrtf(static_cast<float>(partial[0] / static_cast<double>(dim)) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += kThreads) yr[i] = xr[i] * scale * w[i];
}

}  // namespace

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps,
              cudaStream_t s) {
  if (n_rows <= 0 || dim <= 0) return;
  // Rows map to grid.x, which allows 2^31-1 blocks: far more tokens than any batch.
  rms_norm_kernel<<<static_cast<unsigned>(n_rows), kThreads, 0, s>>>(x, w, y, dim, eps);
  DBSA_CUDA_CHECK_LAUNCH();
}

}  // namespace dbsa::cuda
