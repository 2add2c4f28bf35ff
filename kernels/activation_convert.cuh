#pragma once
// Rounds float activations to F16 or BF16 (round to nearest even) for the tensor-core GEMMs of 16-bit
// weights. CPU twin: dbsa::round_activations with ActivationRounding::F16/BF16 (the engine applies the
// same rounding to match the reference implementation, so the GEMM inputs agree bit for bit).
#include <cuda_runtime.h>

#include <cstdint>

#include "half_types.cuh"

namespace dbsa::cuda {

// dst holds n values of `to` (F16 or BF16).
void convert_activations(const float* src, void* dst, Elem to, int64_t n, cudaStream_t s);

}  // namespace dbsa::cuda
