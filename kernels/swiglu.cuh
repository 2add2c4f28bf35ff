#pragma once
// SwiGLU gate on the device; CPU twin: dbsa::swiglu (core/engine/ops.h).
#include <cuda_runtime.h>

#include <cstdint>

namespace dbsa::cuda {

// out[i] = silu(gate[i]) * up[i] over n values (device pointers; out may alias gate).
void swiglu(const float* gate, const float* up, float* out, int64_t n, cudaStream_t s);

}  // namespace dbsa::cuda
