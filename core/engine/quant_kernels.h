#pragma once
// Dot products of quantized weight rows (GGUF block formats, used in place) with activations quantized
// to 8-bit blocks the way the format's reference kernels take them: Q8_0, Q4_0, Q5_0 and IQ4_NL weights
// meet Q8_0 activation blocks (32 values, F16 scale), Q4_1 and Q5_1 Q8_1 blocks (the same with their sum),
// the K-quants (Q2_K to Q6_K) and IQ4_XS meet Q8_K
// blocks (256 values, F32
// scale, sums per 16). Every product inside a scale's span is summed exactly in int32 (the 32-value
// formats in eight lanes of four values each); the scaled
// partial sums are then added in float in one fixed order, so the AVX2 kernels and their portable
// twins return the same bits (tests/engine/test_quant_kernels.cpp), and both are what the reference
// integer kernels compute up to the order of those float additions.
#include <cstdint>
#include <string_view>

#include "engine/weight_matrix.h"

namespace dbsa {

struct BlockQ8_0 {
  uint16_t d;  // F16 scale
  int8_t qs[32];
};
struct BlockQ8_1 {
  uint16_t d;  // F16 scale
  uint16_t s;  // F16 of d·Σqs (the float d, before its F16 rounding)
  int8_t qs[32];
};
struct BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];  // sums of each 16 consecutive qs
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 && sizeof(BlockQ8_K) == 292,
              "ggml's block layouts");

// The activation block format a quantized weight type's dot product takes: Q8_1 for the formats with a
// min (Q4_1, Q5_1), whose dot product takes the activations' sums from their blocks.
enum class ActivationBlocks { Q8_0, Q8_1, Q8_K };
ActivationBlocks activation_blocks(WeightType t);  // throws std::invalid_argument for float types
int64_t activation_block_elems(ActivationBlocks b);
int64_t activation_row_bytes(ActivationBlocks b, int64_t n);  // bytes of n values as blocks

// Quantizes n values (a multiple of the block size) into dst, as ggml's x86 quantizers do: Q8_0 (and
// Q8_1) q = round(x·127/max|x|) with the scale stored as F16; Q8_K maps the signed value of largest magnitude
// to -127 and keeps the scale as float.
void quantize_activations(ActivationBlocks b, const float* x, void* dst, int64_t n);
// The values the blocks stand for (d·q), e.g. to round activations that meet dequantized weights.
void dequantize_activations(ActivationBlocks b, const void* src, float* y, int64_t n);

// The instruction sets with kernels: AVX2 (with FMA and F16C), and AVX-512 (F/BW/VL/DQ with VNNI) for
// Q8_0, Q4_0, Q5_0 (vpdpbusd) and the K-quants (512-bit maddubs/madd, two tokens per register), and the
// AMX tile unit for all of them (engine/quant_kernels_amx.h: whole-block sums, an order of its
// own); IQ4_XS has no AVX-512 kernel (AVX2 below the tile unit). IQ4_NL sums
// as the reference's prefill (llamafile's tinyBLAS: one set of lanes) does; its one-token dot product pairs
// blocks in two sets, which we do not follow: a token's logits stay the same in prefill and decode. Chosen at
// run time.
enum class Isa { Portable, Avx2, Avx512Vnni, Amx };
bool isa_supported(Isa isa);  // this CPU runs it
std::string_view isa_name(Isa isa);
// The widest ISA this CPU runs, capped by the environment variable DBSA_MAX_ISA (an isa_name).
Isa best_isa();
// quantize_activations with a given instruction set (the same bits on each; for the tests).
void quantize_activations(ActivationBlocks b, const float* x, void* dst, int64_t n, Isa isa);

// out[t·out_stride + r] = Σ w_r[i]·x_t[i] for n_w weight rows of n values of type t (raw blocks, row r at
// w + r·w_stride bytes) and n_x activation rows of n values as activation_blocks(t) blocks (row t at
// x + t·x_stride). The kernels unpack each weight block once for several activation rows and load each
// activation block once for several weight rows; every (r, t) result is the same bits whatever n_w,
// n_x and the instruction set, so a token's logits do not depend on how it was batched or where it ran.
using QuantGemm = void (*)(const void* w, int64_t w_stride, int n_w, const void* x, int64_t x_stride, int n_x,
                           int64_t n, float* out, int64_t out_stride);
// The kernel of `t` for `isa` (throws std::invalid_argument where !isa_supported(isa)). Amx gives the
// tile kernels where the type has them (each call packs its own activation rows; engine/matmul.cpp packs
// once per product through engine/quant_kernels_amx.h), the AVX-512 ones elsewhere.
QuantGemm quant_gemm(WeightType t, Isa isa);
// The kernels a product may take: the fastest this CPU runs, or the vector units' only. Their eight lane
// sums per block are the reference engine's AVX2 kernels' bits; the tile unit's whole-block sums are
// not (`--backend cpu-reference` takes Vector: engine/cpu_backend.h).
enum class QuantKernels { Fastest, Vector };
// The instruction set of the fastest kernel of `t` this CPU runs under that choice (what
// quant_gemm(t, k) returns).
Isa kernel_isa(WeightType t, QuantKernels k = QuantKernels::Fastest);
QuantGemm quant_gemm(WeightType t, QuantKernels k = QuantKernels::Fastest);

}  // namespace dbsa
