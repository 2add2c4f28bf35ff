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
#pragma GCC unroll 4
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < n_k; ++k) {
    __m256 bk[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bk[v] = _mm256_loadu_ps(b + k * ldb + 8 * v);
#pragma GCC unroll 4
    for (int i = 0; i < MI; ++i) {
      const __m256 aik = _mm256_broadcast_ss(a + i * ai + k * ak);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(aik, bk[v], acc[i][v]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* ci = c + i * ldc + 8 * v;
      _mm256_storeu_ps(ci, kAdd ? _mm256_add_ps(_mm256_loadu_ps(ci), acc[i][v]) : acc[i][v]);
    }
}

// Rows [0, m) of A against NV vectors of B's columns, four rows a block: B's n_k x 8*NV slice (at most
// 12 KB for the scores' d = 128, 6 KB per 64 keys for the output's) stays in L1 across the rows.
template <int NV, bool kAdd>
DBSA_TILE_AVX2 void rows(const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb, int64_t m,
                         int64_t n_k, float* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) block<4, NV, kAdd>(a + i * ai, ai, ak, b, ldb, n_k, c + i * ldc, ldc);
  switch (m - i) {
    case 3:
      return block<3, NV, kAdd>(a + i * ai, ai, ak, b, ldb, n_k, c + i * ldc, ldc);
    case 2:
      return block<2, NV, kAdd>(a + i * ai, ai, ak, b, ldb, n_k, c + i * ldc, ldc);
    case 1:
      return block<1, NV, kAdd>(a + i * ai, ai, ak, b, ldb, n_k, c + i * ldc, ldc);
    default:
      return;
  }
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
  product<false>(k, ldk, 1, qt, ldq, nk, rows8, d, s, lds);
}

void tile_output(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk, int64_t rows,
                 int64_t d, float* o, int64_t ldo) {
  product<true>(p, 1, ldp, v, ldv, rows, d, nk, o, ldo);
}

}  // namespace dbsa
