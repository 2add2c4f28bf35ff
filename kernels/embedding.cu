#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda_check.h"
#include "embedding.cuh"
#include "launch_config.cuh"

namespace dbsa::cuda {
namespace {

__device__ inline float widen(float v) {
  return v;
}
__device__ inline float widen(__half v) {
  return __half2float(v);
}
__device__ inline float widen(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <class T>
__global__ void gather_kernel(const T* table, int64_t cols, const int32_t* ids, int64_t n_tokens,
                              float* out) {
  const int64_t n = n_tokens * cols;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t t = i / cols, c = i % cols;
    out[i] = widen(table[static_cast<int64_t>(ids[t]) * cols + c]);
  }
}

}  // namespace

void embedding_gather(const void* table, Elem type, int64_t cols, const int32_t* ids, int64_t n_tokens,
                      float* out, cudaStream_t s) {
  const int64_t n = n_tokens * cols;
  if (n <= 0) return;
  const unsigned blocks = elementwise_blocks(n);
  switch (type) {
    case Elem::F32:
      gather_kernel<<<blocks, kElementwiseThreads, 0, s>>>(static_cast<const float*>(table), cols, ids,
                                                           n_tokens, out);
      break;
    case Elem::F16:
      gather_kernel<<<blocks, kElementwiseThreads, 0, s>>>(static_cast<const __half*>(table), cols, ids,
                                                           n_tokens, out);
      break;
    case Elem::BF16:
      gather_kernel<<<blocks, kElementwiseThreads, 0, s>>>(static_cast<const __nv_bfloat16*>(table), cols,
                                                           ids, n_tokens, out);
      break;
  }
  DBSA_CUDA_CHECK_LAUNCH();
}

}  // namespace dbsa::cuda
