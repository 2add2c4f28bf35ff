#include "engine/attention_tile_products.h"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "engine/simd_kernels.h"

namespace dbsa {

namespace {

#define DBSA_TILE_AVX2 __attribute__((target("avx2,fma")))

// The register blocks' loops are unrolled whole: GCC 12 at -O3 otherwise kept their accumulator arrays in
// memory as well as in registers (a store per multiply-add).
// KB keys by NV vectors of 8 rows: KB*NV accumulators, NV query vectors and one broadcast stay in the 16
// vector registers for KB = 4, NV = 3. The queries' d x 8*NV slice (at most 12 KB for d = 128) stays in
// L1 across the keys.
template <int KB, int NV>
DBSA_TILE_AVX2 inline void scores_block(const float* k, int64_t ldk, const float* qt, int64_t ldq, int64_t d,
                                        float* s, int64_t lds) {
  __m256 acc[KB][NV];
#pragma GCC unroll 4
  for (int kk = 0; kk < KB; ++kk)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[kk][v] = _mm256_setzero_ps();
  for (int64_t x = 0; x < d; ++x) {
    __m256 q[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) q[v] = _mm256_loadu_ps(qt + x * ldq + 8 * v);
#pragma GCC unroll 4
    for (int kk = 0; kk < KB; ++kk) {
      const __m256 kx = _mm256_broadcast_ss(k + kk * ldk + x);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[kk][v] = _mm256_fmadd_ps(kx, q[v], acc[kk][v]);
    }
  }
#pragma GCC unroll 4
  for (int kk = 0; kk < KB; ++kk)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(s + kk * lds + 8 * v, acc[kk][v]);
}

template <int NV>
DBSA_TILE_AVX2 void scores_rows(const float* k, int64_t ldk, const float* qt, int64_t ldq, int64_t nk,
                                int64_t d, float* s, int64_t lds) {
  int64_t j = 0;
  for (; j + 4 <= nk; j += 4) scores_block<4, NV>(k + j * ldk, ldk, qt, ldq, d, s + j * lds, lds);
  for (; j < nk; ++j) scores_block<1, NV>(k + j * ldk, ldk, qt, ldq, d, s + j * lds, lds);
}

// RB rows by NV vectors of 8 value dimensions, every key of the tile in turn: the accumulators (12 for
// RB = 4, NV = 3) stay in registers for the whole tile, and the tile's sum is added to O once, as sgemm
// with beta 1 adds it. Summing into O key after key instead lost agreement with the reference: with
// these kernels in its prefill, k256-q4_k_m's long prompt kept 2658 of 2715 argmaxes, against 2671 for
// the tile sums (2673 through OpenBLAS) on an AMD Zen 2.
template <int RB, int NV>
DBSA_TILE_AVX2 inline void output_block(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk,
                                        float* o, int64_t ldo) {
  __m256 acc[RB][NV];
#pragma GCC unroll 4
  for (int r = 0; r < RB; ++r)
#pragma GCC unroll 4
    for (int w = 0; w < NV; ++w) acc[r][w] = _mm256_setzero_ps();
  for (int64_t j = 0; j < nk; ++j) {
    __m256 vx[NV];
#pragma GCC unroll 4
    for (int w = 0; w < NV; ++w) vx[w] = _mm256_loadu_ps(v + j * ldv + 8 * w);
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r) {
      const __m256 pr = _mm256_broadcast_ss(p + j * ldp + r);
#pragma GCC unroll 4
      for (int w = 0; w < NV; ++w) acc[r][w] = _mm256_fmadd_ps(pr, vx[w], acc[r][w]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < RB; ++r)
#pragma GCC unroll 4
    for (int w = 0; w < NV; ++w)
      _mm256_storeu_ps(o + r * ldo + 8 * w, _mm256_add_ps(_mm256_loadu_ps(o + r * ldo + 8 * w), acc[r][w]));
}

template <int NV>
DBSA_TILE_AVX2 void output_dims(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk,
                                int64_t rows, float* o, int64_t ldo) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) output_block<4, NV>(p + r, ldp, v, ldv, nk, o + r * ldo, ldo);
  switch (rows - r) {
    case 3:
      return output_block<3, NV>(p + r, ldp, v, ldv, nk, o + r * ldo, ldo);
    case 2:
      return output_block<2, NV>(p + r, ldp, v, ldv, nk, o + r * ldo, ldo);
    case 1:
      return output_block<1, NV>(p + r, ldp, v, ldv, nk, o + r * ldo, ldo);
    default:
      return;
  }
}

// OpenBLAS's own small-matrix kernels (no packing below its size cut-off) exist for its SkylakeX family
// only; there the BLAS calls stay (measured faster there, docs/BENCHMARKS.md).
bool blas_packs_small_products() {
  std::string core = openblas_get_corename();
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  return core != "skylakex" && core != "cooperlake" && core != "sapphirerapids";
}

}  // namespace

bool tile_products_replace_blas(int64_t d) {
  static const bool cpu = simd::has_avx2() && blas_packs_small_products();
  return cpu && d > 0 && d % 8 == 0;
}

void tile_scores(const float* k, int64_t ldk, const float* qt, int64_t ldq, int64_t nk, int64_t d,
                 int64_t rows8, float* s, int64_t lds) {
  int64_t r = 0;
  for (; r + 24 <= rows8; r += 24) scores_rows<3>(k, ldk, qt + r, ldq, nk, d, s + r, lds);
  if (rows8 - r == 16) scores_rows<2>(k, ldk, qt + r, ldq, nk, d, s + r, lds);
  if (rows8 - r == 8) scores_rows<1>(k, ldk, qt + r, ldq, nk, d, s + r, lds);
}

void tile_output(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk, int64_t rows,
                 int64_t d, float* o, int64_t ldo) {
  int64_t x = 0;
  for (; x + 24 <= d; x += 24) output_dims<3>(p, ldp, v + x, ldv, nk, rows, o + x, ldo);
  if (d - x == 16) output_dims<2>(p, ldp, v + x, ldv, nk, rows, o + x, ldo);
  if (d - x == 8) output_dims<1>(p, ldp, v + x, ldv, nk, rows, o + x, ldo);
}

}  // namespace dbsa
