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

// Both products are C[i][c] (= or +=) sum_k A(i, k) * B[k][c], with A read through two strides
// (A(i, k) = a[i*ai + k*ak]: the key tile row by row for the scores, the weights column by column for the
// output) and B and C in rows of whole vectors. One register block: MI rows of A by NV vectors of B's
// columns, MI*NV accumulators, NV vectors of B and one broadcast, 16 registers for MI = 4, NV = 3; each sum
// in k order from zero, then stored (kAdd false) or added to C (kAdd true, as sgemm with beta 1 adds;
// adding each term into C instead lost agreement with the reference: k256-q4_k_m's long prompt kept 2658
// of 2715 argmaxes against 2671, docs/BENCHMARKS.md).
// The block's loops are unrolled whole: GCC 12 at -O3 otherwise kept the accumulator arrays in memory as
// well as in registers (a store per multiply-add).
template <int MI, int NV, bool kAdd>
DBSA_TILE_AVX2 inline void block(const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb,
                                 int64_t n_k, float* c, int64_t ldc) {
  __m256 acc[MI][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < n_k; ++k) {
    __m256 bk[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) bk[v] = _mm256_loadu_ps(b + k * ldb + 8 * v);
#pragma GCC unroll 16
    for (int i = 0; i < MI; ++i) {
      const __m256 aik = _mm256_broadcast_ss(a + i * ai + k * ak);
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(aik, bk[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      float* ci = c + i * ldc + 8 * v;
      _mm256_storeu_ps(ci, kAdd ? _mm256_add_ps(_mm256_loadu_ps(ci), acc[i][v]) : acc[i][v]);
    }
}

// The last r < MI rows of A, one block of r rows.
template <int MI, int NV, bool kAdd>
DBSA_TILE_AVX2 inline void tail_rows(const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb,
                                     int64_t r, int64_t n_k, float* c, int64_t ldc) {
  if constexpr (MI > 1) {
    if (r == MI - 1) return block<MI - 1, NV, kAdd>(a, ai, ak, b, ldb, n_k, c, ldc);
    tail_rows<MI - 1, NV, kAdd>(a, ai, ak, b, ldb, r, n_k, c, ldc);
  }
}

// Rows [0, m) of A against NV vectors of B's columns, MI rows a block, MI as many as the 16 registers
// hold beside the NV vectors of B and a broadcast (4 rows by 3 vectors, 6 by 2, 8 by 1): B's n_k x 8*NV
// slice (at most 12 KB for the scores' d = 128, 6 KB per 64 keys for the output's) stays in L1 across
// the rows.
template <int NV, bool kAdd>
DBSA_TILE_AVX2 void rows(const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb, int64_t m,
                         int64_t n_k, float* c, int64_t ldc) {
  constexpr int MI = NV == 3 ? 4 : NV == 2 ? 6 : 8;
  int64_t i = 0;
  for (; i + MI <= m; i += MI) block<MI, NV, kAdd>(a + i * ai, ai, ak, b, ldb, n_k, c + i * ldc, ldc);
  tail_rows<MI, NV, kAdd>(a + i * ai, ai, ak, b, ldb, m - i, n_k, c + i * ldc, ldc);
}

// C (m x n8, n8 a multiple of 8) = or += A (m x n_k) * B (n_k x n8), three column vectors at a time.
template <bool kAdd>
void product(const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb, int64_t m, int64_t n8,
             int64_t n_k, float* c, int64_t ldc) {
  int64_t col = 0;
  for (; col + 24 <= n8; col += 24) rows<3, kAdd>(a, ai, ak, b + col, ldb, m, n_k, c + col, ldc);
  if (n8 - col == 16) rows<2, kAdd>(a, ai, ak, b + col, ldb, m, n_k, c + col, ldc);
  if (n8 - col == 8) rows<1, kAdd>(a, ai, ak, b + col, ldb, m, n_k, c + col, ldc);
}

// OpenBLAS's own small-matrix kernels (no packing below its size cut-off) exist for its SkylakeX family
// only; there the BLAS calls stay (they pack nothing either, and these kernels were not measured against
// them on such a CPU).
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
  product<false>(k, ldk, 1, qt, ldq, nk, rows8, d, s, lds);
}

void tile_output(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk, int64_t rows,
                 int64_t d, float* o, int64_t ldo) {
  product<true>(p, 1, ldp, v, ldv, rows, d, nk, o, ldo);
}

}  // namespace dbsa
