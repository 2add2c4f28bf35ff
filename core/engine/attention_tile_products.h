#pragma once
// The streamed attention's two tile products (engine/attention.cpp, accumulate_tile) computed on the
// tiles as they lie, without BLAS:
//   scores  S[j][r] = sum_x K[j][x] * QT[x][r]   (a key tile against the item's transposed queries)
//   output  O[r][x] += sum_j P[j][r] * V[j][x]   (the tile's weights against its values)
// OpenBLAS packs both operands of every such call on CPUs it gives no small-matrix kernels (all but its
// SkylakeX family): attention takes these kernels there (engine/attention.cpp, item_shape;
// docs/BENCHMARKS.md, "Attention's tile products without BLAS"), which gain most for a decode step's
// few score rows (sgemm's N, 1-8). Each sum runs in index order, one fused multiply-add a term, as
// scalar_tile_scores/scalar_tile_output (tests/engine/test_attention_tile_products.cpp) compute them
// bit for bit.
#include <cstdint>

namespace dbsa {

// Whether attention runs these instead of cblas_sgemm for a head size d: AVX2+FMA, d a multiple of 8,
// and an OpenBLAS without small-matrix kernels for this CPU (openblas_get_corename).
bool tile_products_replace_blas(int64_t d);

// S[j*lds + r] = sum_{x<d} K[j*ldk + x] * QT[x*ldq + r] for j < nk, r < rows8 (a multiple of 8).
void tile_scores(const float* k, int64_t ldk, const float* qt, int64_t ldq, int64_t nk, int64_t d,
                 int64_t rows8, float* s, int64_t lds);

// O[r*ldo + x] += sum_{j<nk} P[j*ldp + r] * V[j*ldv + x] for r < rows, x < d (a multiple of 8): each
// sum from zero, then added to O.
void tile_output(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk, int64_t rows,
                 int64_t d, float* o, int64_t ldo);

}  // namespace dbsa
