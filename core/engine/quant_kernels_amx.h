#pragma once
// The 32-value formats (Q8_0, Q4_0, Q5_0) on the AMX tile unit (TDPBSSD: a 16×32 tile of weight bytes
// against 32 bytes of up to 16 tokens, exact int32 sums). The tile gives a whole block's sum at once, not
// the eight lane sums the vector kernels keep (engine/quant_kernels.h), so these kernels have an order of
// their own: per (weight row, token), acc = fma(float(block sum), d_w·d_x, acc) over the blocks in order,
// starting from zero. portable_dot() is that order written out, and the tile kernels return its bits for
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
// Q8_0, Q4_0, Q5_0: the types with tile kernels (the K-quants' sub-block scales stay on the vector units).
bool has_kernel(WeightType t);

// Activation rows (Q8_0 blocks, row t at x + t·xs) laid out for the tile unit: groups of 16 tokens,
// each group per block 32 bytes of 16 tokens interleaved in fours (the tile's B operand), then the 16
// tokens' scales as float (zero, with zero bytes, past the last token).
int64_t packed_bytes(int n_x, int64_t n);
// Packs groups [g0, g1) of 16 tokens into dst (which holds packed_bytes(n_x, n)); groups are independent,
// so a pool can split them.
void pack(const void* x, int64_t xs, int n_x, int64_t n, int g0, int g1, std::byte* dst);

// out[t·os + r] for n_w weight rows (row r at w + r·ws, raw blocks of t) and n_x activation rows: x as
// Q8_0 rows (row t at x + t·xs), `packed` their pack() (may be null when n_x == 1: one token takes its
// row as it is).
void gemm(WeightType t, const void* w, int64_t ws, int n_w, const void* x, int64_t xs,
          const std::byte* packed, int n_x, int64_t n, float* out, int64_t os);

// The order above, one weight row against one Q8_0 activation row, with no tile unit.
float portable_dot(WeightType t, const void* w, const void* x, int64_t n);

}  // namespace dbsa::amx
