#include "cuda_check.h"
#include "launch_config.cuh"
#include "rope.cuh"

namespace dbsa::cuda {
namespace {

// One thread per (token, head, pair): pairs are disjoint, so rotating in place needs no synchronisation.
__global__ void rope_kernel(RopeShape p, const float* cos, const float* sin, float* x, int64_t n_tokens,
                            int32_t n_heads) {
  const int32_t half = p.n_rot / 2;
  const int64_t n = n_tokens * n_heads * half;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += step) {
    const int32_t i = static_cast<int32_t>(idx % half);
    const int64_t th = idx / half;  // token * n_heads + head
    const int64_t t = th / n_heads;
    rope_rotate_pair(p, cos[t * half + i], sin[t * half + i], i, x + th * p.head_dim);
  }
}

}  // namespace

void rope_rotate(const RopeShape& p, const float* cos, const float* sin, float* x, int64_t n_tokens,
                 int32_t n_heads, cudaStream_t s) {
  const int64_t n = n_tokens * n_heads * (p.n_rot / 2);
  if (n <= 0) return;
  rope_kernel<<<elementwise_blocks(n), kElementwiseThreads, 0, s>>>(p, cos, sin, x, n_tokens, n_heads);
  DBSA_CUDA_CHECK_LAUNCH();
}

}  // namespace dbsa::cuda
