#pragma once
// Quantized weights on the AMX tile unit (TDPBSSD: a 16×32 tile of weight bytes against 32 bytes of up
// to 16 tokens, exact int32 sums): the 32-value formats (Q8_0, Q4_0, Q5_0, IQ4_NL, Q4_1, Q5_1) and the
// K-quants Q2_K…Q6_K and IQ4_XS (the 16-value sub-blocks of Q2_K, Q3_K and Q6_K on 16×16 tiles). A tile
// gives a whole
// block's (sub-block's) sum at once, not the lane sums the vector kernels keep (engine/quant_kernels.h), so
// these kernels have an order of their own, llama.cpp's AMX kernels' form, per (weight row, token) from acc =
// 0 over the blocks in order:
//   32-value formats: acc = fma(float(block sum), d_w·d_x, acc), then for Q4_1/Q5_1 acc = fma(m_w, s_x, acc)
//   (Q8_1's s);
//   Q4_K/Q5_K: acc = fma(float(Σ_j sc_j·S_j), d_x·d_w, acc), then acc = fma(float(Σ_j m_j·bsum_j),
//   (-d_x)·dmin_w, acc), both sums exact integers per super-block;
//   Q6_K, Q3_K, IQ4_XS: acc = fma(float(Σ_s sc_s·S_s), d_x·d_w, acc); Q2_K then adds its mins as Q4_K does,
//   acc = fma(float(Σ_s m_s·bsum_s), (-d_x)·dmin_w, acc), over its 16 sub-blocks.
// One token takes the vector units for the K-quants (the same exact sums, the same two FMAs).
// portable_dot() is that order written out, and the tile kernels return its bits for
// every row, token and batch size (tests/engine/test_quant_kernels_amx.cpp): a token's logits are the same
// in prefill and decode on this ISA, and within a float rounding of the vector kernels' (each block's
// sum is exact in both).
#include <cstddef>
#include <cstdint>

#include "engine/weight_matrix.h"

namespace dbsa::amx {

// The CPU has AMX-TILE and AMX-INT8 (with AVX-512 VNNI for the rest) and the kernel let this process
// use the tile registers (Linux asks each process to request them once: arch_prctl).
bool supported();
// Every quantized type with integer kernels: Q8_0, Q4_0, Q5_0, IQ4_NL, Q4_1, Q5_1, Q2_K…Q6_K, IQ4_XS.
bool has_kernel(WeightType t);

// Activation rows (the blocks of activation_blocks(t), row t at x + t·xs) laid out for the tile unit:
// groups of 16 tokens, each group per 32 values 32 bytes of 16 tokens interleaved in fours (the tile's B
// operand), then per block the 16 tokens' scales as float (Q8_1: then their sums s, after all the scales;
// Q8_K: and the 8 sub-block activation sums as float); zero, with zero bytes, past the last token.
int64_t packed_bytes(WeightType t, int n_x, int64_t n);
// Types with the same packing read the same packed activations: Q8_0 blocks (Q8_0, Q4_0, Q5_0, IQ4_NL),
// Q8_1 blocks (Q4_1, Q5_1), Q8_K super-blocks (Q3_K…Q6_K, IQ4_XS), and those with each of their 16 sums
// (Q2_K).
bool same_packing(WeightType a, WeightType b);
// Packs groups [g0, g1) of 16 tokens into dst (which holds packed_bytes(t, n_x, n)); groups are
// independent, so a pool can split them.
void pack(WeightType t, const void* x, int64_t xs, int n_x, int64_t n, int g0, int g1, std::byte* dst);

// out[t·os + r] for n_w weight rows (row r at w + r·ws, raw blocks of t) and n_x activation rows: x as
// rows of activation_blocks(t) blocks (row t at x + t·xs), `packed` their pack() or null (one token takes
// its row as it is; more are packed here, per call: a product split over a pool packs once and passes it).
void gemm(WeightType t, const void* w, int64_t ws, int n_w, const void* x, int64_t xs,
          const std::byte* packed, int n_x, int64_t n, float* out, int64_t os);

// The order above, one weight row against one activation row, with no tile unit.
float portable_dot(WeightType t, const void* w, const void* x, int64_t n);

}  // namespace dbsa::amx
