#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <stdexcept>

#include "activation_convert.cuh"
#include "cuda_check.h"
#include "launch_config.cuh"

namespace dbsa::cuda {
namespace {

__device__ inline void narrow(float v, __half* d) {
  *d = __float2half_rn(v);
}
__device__ inline void narrow(float v, __nv_bfloat16* d) {
  *d = __float2bfloat16_rn(v);
}

template <class T>
__global__ void convert_kernel(const float* src, T* dst, int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    narrow(src[i], dst + i);
}

}  // namespace

void convert_activations(const float* src, void* dst, Elem to, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  const unsigned blocks = elementwise_blocks(n);
  if (to == Elem::F16)
    convert_kernel<<<blocks, kElementwiseThreads, 0, s>>>(src, static_cast<__half*>(dst), n);
  else if (to == Elem::BF16)
    convert_kernel<<<blocks, kElementwiseThreads, 0, s>>>(src, static_cast<__nv_bfloat16*>(dst), n);
  else
    throw std::invalid_argument("convert_activations: the target type must be F16 or BF16");
  DBSA_CUDA_CHECK_LAUNCH();
}

}  // namespace dbsa::cuda
