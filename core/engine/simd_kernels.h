#pragma once
// Inner loops of the CPU engine with an AVX2/FMA/F16C version chosen at run time (the build targets
// plain x86-64, so the wide versions are compiled per function with target attributes and only called
// when the CPU reports the features). The portable versions are the fallback on older CPUs.
#include <cstdint>

namespace dbsa::simd {

// True when the AVX2+FMA+F16C paths are in use (decided once, at first call).
bool has_avx2();
// AVX-512 F/BW/VL/DQ with VNNI (vpdpbusd), and AVX2: the quantized kernels' widest path.
bool has_avx512_vnni();
// has_avx512_vnni() and DBSA_MAX_ISA allows AVX-512 (engine/quant_kernels.h, best_isa): where the
// kernels with 8- and 16-lane forms of the same bits take the 16-lane one.
bool use_avx512();
// Whether products that stream weight rows once (decode) ask for each row ahead of its use
// (engine/matmul.cpp). Yes on Intel CPUs: on the Sapphire Rapids VMs we measured, the hardware prefetcher
// alone held a core at ~5 GB/s and the request doubled it. No elsewhere: on an AMD Zen 4 the same
// requests made SmolLM decode ~20% slower (docs/BENCHMARKS.md, "On an AMD Zen 4"). DBSA_WEIGHT_PREFETCH=1
// or 0 overrides it, to measure one against the other on a new CPU.
bool prefetch_weight_rows();

float dot_f32(const float* a, const float* b, int64_t n);
float dot_f16(const uint16_t* a, const float* b, int64_t n);  // a holds IEEE half values
// dot_f32 summed in dot_f16's order: attention's direct cache-row products (engine/attention.cpp,
// run_rows_tile) give an F32 cache the bits an F16 cache of the same values gives.
float dot_f32_f16_order(const float* a, const float* b, int64_t n);
float dot_bf16(const uint16_t* a, const float* b, int64_t n);  // a holds bfloat16 values
// Sum of the products in double (each float product is exact in double), for dot products whose
// reference value is an exact integer sum.
double dot_f32_f64(const float* a, const float* b, int64_t n);

// Widening conversions of a contiguous run.
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
// Rounds to the nearest F16 (ties to even), as f32_to_f16 (model/dequantize.h) does: the F16 KV cache.
void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n);

// Column-wise forms over n_rows rows of cols values (row j at x + j*cols), for attention scores laid
// out key by key with the query rows across: m[c] = max(m[c], x[j][c]) over all rows j; and
// x[j][c] = exp(x[j][c] - shift[c]) with sums[c] += the results (sums may be null). The vector exp is
// Arm optimized-routines' single-precision algorithm (engine/vector_exp.h): the softmax's hot loop.
void max_rows(const float* x, int64_t n_rows, int64_t cols, float* m);
void exp_shift_rows(float* x, int64_t n_rows, int64_t cols, const float* shift, float* sums);
// y[i] = exp(x[i]) by the vector exp above, every element (a short tail is padded to a whole vector),
// so a caller gets the same bits at any index; x may alias y. Without AVX2, std::exp.
void exp_lanes(const float* x, float* y, int64_t n);
// out[i] = silu(gate[i]) * up[i] (out may alias gate).
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

// y += a * x
void axpy(float a, const float* x, float* y, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);  // y += a·x, x IEEE half values
// y *= a
void scale(float a, float* y, int64_t n);

}  // namespace dbsa::simd
