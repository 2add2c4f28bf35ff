#pragma once
// Element-wise and row-wise operations of the Llama block (CPU reference versions; the CUDA backend
// implements the same functions and is tested against these).
#include <cstdint>
#include <span>

#include "engine/weight_matrix.h"

namespace dbsa {

// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for n_rows rows of dim values (y may alias x).
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps);

// out[i] = silu(gate[i]) * up[i] (out may alias gate).
void swiglu(const float* gate, const float* up, float* out, int64_t n);

// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);

// Adds bias[cols] to each of n_rows rows of y.
void add_bias_rows(float* y, const float* bias, int64_t n_rows, int64_t cols);

// out[t] = row tokens[t] of the embedding table (widened to float); throws on an id out of range.
void embedding_lookup(const WeightMatrix& table, std::span<const int32_t> tokens, float* out);

}  // namespace dbsa
