#pragma once
// Row-wise RMSNorm on the device; CPU twin: dbsa::rms_norm (core/engine/ops.h).
#include <cuda_runtime.h>

#include <cstdint>

namespace dbsa::cuda {

// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w for n_rows rows of dim floats (device pointers; y may alias x).
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps,
              cudaStream_t s);

}  // namespace dbsa::cuda
