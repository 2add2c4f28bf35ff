// The attention's tile products without BLAS (engine/attention_tile_products.h) against their scalar
// twins, bit for bit: each sum in index order, one fused multiply-add a term. Shapes cover every
// register block (4, 6 or 8 rows by 3, 2 or 1 vectors) and every tail of each, head sizes of 1-16 vectors,
// and leading dimensions wider than the data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/attention_tile_products.h"
#include "engine/simd_kernels.h"

namespace dbsa {
namespace {

// C[i][c] (= or +=) sum_k A(i, k) * B[k][c] with A(i, k) = a[i*ai + k*ak]: each sum in k order from
// zero, one fused multiply-add a term, then stored or added.
void scalar_product(bool add, const float* a, int64_t ai, int64_t ak, const float* b, int64_t ldb, int64_t m,
                    int64_t n, int64_t n_k, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t col = 0; col < n; ++col) {
      float acc = 0.0f;
      for (int64_t k = 0; k < n_k; ++k) acc = std::fma(a[i * ai + k * ak], b[k * ldb + col], acc);
      c[i * ldc + col] = add ? c[i * ldc + col] + acc : acc;
    }
}

void scalar_tile_scores(const float* k, int64_t ldk, const float* qt, int64_t ldq, int64_t nk, int64_t d,
                        int64_t rows8, float* s, int64_t lds) {
  scalar_product(false, k, ldk, 1, qt, ldq, nk, rows8, d, s, lds);
}

void scalar_tile_output(const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t nk, int64_t rows,
                        int64_t d, float* o, int64_t ldo) {
  scalar_product(true, p, 1, ldp, v, ldv, rows, d, nk, o, ldo);
}

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(AttentionTileProducts, ScoresEqualTheirScalarTwin) {
  if (!simd::has_avx2()) GTEST_SKIP() << "no AVX2+FMA";
  std::mt19937 rng(11);
  for (int64_t d : {8, 64, 80, 128})
    for (int64_t nk : {1, 2, 3, 4, 5, 7, 8, 11, 64, 257})
      for (int64_t rows8 : {8, 16, 24, 40, 64, 200}) {
        SCOPED_TRACE(testing::Message() << "d " << d << " keys " << nk << " rows " << rows8);
        const int64_t ldk = d + 3, ldq = rows8 + 8, lds = rows8 + 5;
        const auto k = random_floats(static_cast<size_t>(nk * ldk), rng);
        const auto qt = random_floats(static_cast<size_t>(d * ldq), rng);
        std::vector<float> got(static_cast<size_t>(nk * lds), -7.0f), want = got;
        tile_scores(k.data(), ldk, qt.data(), ldq, nk, d, rows8, got.data(), lds);
        scalar_tile_scores(k.data(), ldk, qt.data(), ldq, nk, d, rows8, want.data(), lds);
        EXPECT_TRUE(same_bits(got, want));  // the padding past rows8 untouched in both
      }
}

TEST(AttentionTileProducts, OutputEqualsItsScalarTwin) {
  if (!simd::has_avx2()) GTEST_SKIP() << "no AVX2+FMA";
  std::mt19937 rng(12);
  for (int64_t d : {8, 16, 24, 64, 80, 128})
    for (int64_t nk : {1, 5, 64, 257})
      for (int64_t rows : {1, 2, 3, 4, 5, 6, 7, 11, 13, 39, 192}) {
        SCOPED_TRACE(testing::Message() << "d " << d << " keys " << nk << " rows " << rows);
        const int64_t ldp = (rows + 7) / 8 * 8 + 2, ldv = d + 5, ldo = d + 3;
        const auto p = random_floats(static_cast<size_t>(nk * ldp), rng);
        const auto v = random_floats(static_cast<size_t>(nk * ldv), rng);
        std::vector<float> got = random_floats(static_cast<size_t>(rows * ldo), rng), want = got;
        tile_output(p.data(), ldp, v.data(), ldv, nk, rows, d, got.data(), ldo);
        scalar_tile_output(p.data(), ldp, v.data(), ldv, nk, rows, d, want.data(), ldo);
        EXPECT_TRUE(same_bits(got, want));
      }
}

TEST(AttentionTileProducts, TakeOverOnlyWholeVectorHeads) {
  EXPECT_FALSE(tile_products_replace_blas(0));
  EXPECT_FALSE(tile_products_replace_blas(60));
  if (!simd::has_avx2()) {
    EXPECT_FALSE(tile_products_replace_blas(64));
  }
}

}  // namespace
}  // namespace dbsa
