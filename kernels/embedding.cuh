#pragma once
// Token embedding gather on the device; CPU twin: dbsa::embedding_lookup (core/engine/ops.h).
#include <cuda_runtime.h>

#include <cstdint>

#include "half_types.cuh"

namespace dbsa::cuda {

// out[t][0..cols) = row ids[t] of table ([rows][cols] of `type`), widened to float. The ids must
// already be checked against the table's rows (the caller holds them on the host, where the error can
// name the position).
void embedding_gather(const void* table, Elem type, int64_t cols, const int32_t* ids, int64_t n_tokens,
                      float* out, cudaStream_t s);

}  // namespace dbsa::cuda
