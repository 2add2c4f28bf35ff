#pragma once
// y[n][w.rows] = x[n][w.cols] · wᵀ, the projection of every token by a weight matrix.
// Batched inputs go through OpenBLAS sgemm, split over the thread pool by output features (OpenBLAS
// itself runs single-threaded so the pool is the only source of threads; 16-bit weights are widened
// per slice into per-thread scratch, quantized ones dequantized per slice). Few-token inputs (decode)
// use SIMD dot products per row, which stream the weights once instead of packing them; quantized
// weights there meet activations quantized to 8-bit blocks in integer kernels (engine/quant_kernels.h).
// Matrices marked exact_sums accumulate in double (dgemm over slices widened per task, double dot products
// for decode): about half sgemm's speed.
#include <cstdint>

#include "engine/thread_pool.h"
#include "engine/weight_matrix.h"

namespace dbsa {

// Up to this many tokens the matrix-vector path is used.
inline constexpr int64_t kMatvecMaxTokens = 4;

void matmul(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y);

// Pins OpenBLAS to one thread (called once by matmul; exposed for benchmarks that call sgemm directly).
void blas_use_single_thread();
// Sets the number of OpenBLAS threads (used by the sgemm peak benchmark).
void blas_set_threads(int n);

}  // namespace dbsa
