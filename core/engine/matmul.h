#pragma once
// y[n][w.rows] = x[n][w.cols] · wᵀ, the projection of every token by a weight matrix.
// Float batches go through OpenBLAS sgemm, split over the thread pool by output features (OpenBLAS
// itself runs single-threaded so the pool is the only source of threads; 16-bit weights are widened
// per slice into per-thread scratch). Few-token float inputs (decode) use SIMD dot products per row,
// which stream the weights once instead of packing them. Quantized weights, decode and prefill alike,
// meet activations quantized to 8-bit blocks in the integer kernels of engine/quant_kernels.h (on the
// AMX tile unit where the CPU has one: engine/quant_kernels_amx.h), which compute what the reference
// engine's kernels compute to the bit (the tile kernels: each block's exact sum times the two scales,
// added in block order, as its AMX kernels add them). On the vector units they are slower than
// dequantized panels through sgemm (1.6x faster in pp512 on a Q8_0 SmolLM shape; the tiles are 2x faster
// than the panels), but the panels' float
// sums drift by tens of ulps from the reference's and flip later 8-bit roundings (k256-q4_k_m "long":
// 97.5% equal argmax against 98.4%; docs/BENCHMARKS.md), and a token's logits would differ between
// prefill and decode.
// Matrices marked exact_sums accumulate in double (dgemm over slices widened per task, double dot products
// for decode): about half sgemm's speed.
#include <cstdint>
#include <span>

#include "engine/matmul_target.h"
#include "engine/quant_kernels.h"
#include "engine/thread_pool.h"
#include "engine/weight_matrix.h"

namespace dbsa {

// Up to this many tokens the matrix-vector path is used.
inline constexpr int64_t kMatvecMaxTokens = 4;

// `kernels` picks the quantized kernels (engine/quant_kernels.h); float weights ignore it.
void matmul(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y,
            QuantKernels kernels = QuantKernels::Fastest);

// Products of one input by several matrices (a layer's q/k/v, its gate/up): the same bits as one
// matmul() each, in one pass of the pool where the weights are quantized alike.
void matmuls(ThreadPool& pool, const float* x, int64_t n, std::span<const MatmulTarget> targets,
             QuantKernels kernels = QuantKernels::Fastest);

// Pins OpenBLAS to one thread (called once by matmul; exposed for benchmarks that call sgemm directly).
void blas_use_single_thread();

}  // namespace dbsa
