// Fast CPU ops against the naive references. Tolerances: float accumulation order differs from the
// double-precision references, so relative errors ~1e-5 (F32 inputs) are expected.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "engine/matmul.h"
#include "engine/ops.h"
#include "engine/rope.h"
#include "engine/simd_kernels.h"
#include "model/dequantize.h"
#include "naive_reference.h"

namespace dbsa {
namespace {

std::vector<float> randn(size_t n, uint64_t seed, float sd = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size());
  float mx = 0.0f;
  for (float w : want) mx = std::max(mx, std::fabs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_FALSE(std::isnan(got[i])) << what << " NaN at " << i;
    ASSERT_NEAR(got[i], want[i], rel * std::max(1.0f, mx)) << what << " at " << i;
  }
}

struct MatmulCase {
  int64_t n, rows, cols;
};

TEST(Matmul, AllTypesAndShapesMatchNaive) {
  ThreadPool pool(2);
  const MatmulCase cases[] = {{1, 67, 33}, {2, 64, 64},   {4, 129, 100},
                              {5, 31, 17}, {37, 200, 72}, {130, 65, 257}};
  for (const auto& c : cases) {
    const auto x = randn(static_cast<size_t>(c.n * c.cols), 10 + c.n);
    const auto wv = randn(static_cast<size_t>(c.rows * c.cols), 20 + c.rows);
    for (WeightType t : {WeightType::F32, WeightType::F16, WeightType::BF16}) {
      const WeightMatrix w = t == WeightType::F32 ? make_f32_matrix("w", c.rows, c.cols, wv)
                                                  : make_16bit_matrix("w", t, c.rows, c.cols, wv);
      // Reference on the weights as stored (16-bit rounding is not the matmul's error).
      const auto want = naive::matmul(x, c.n, naive::to_float(w), c.rows, c.cols);
      std::vector<float> got(static_cast<size_t>(c.n * c.rows));
      matmul(pool, x.data(), c.n, w, got.data());
      SCOPED_TRACE(::testing::Message() << "n=" << c.n << " rows=" << c.rows << " cols=" << c.cols
                                        << " type=" << static_cast<int>(t));
      expect_close(got, want, 1e-5f, "matmul");
    }
  }
}

// Rows whose products cancel to a small sum: float accumulation keeps an error of the size of the
// products, double accumulation must give the correctly rounded sum (to an ulp) on both paths.
TEST(Matmul, ExactSumsLandWithinAnUlpOfTheExactSum) {
  ThreadPool pool(2);
  for (const int64_t n : {int64_t{3}, int64_t{40}}) {
    const int64_t rows = 70, cols = 512;
    auto x = randn(static_cast<size_t>(n * cols), 30 + n);
    auto wv = randn(static_cast<size_t>(rows * cols), 40);
    // Each row is a pair-wise cancelling sequence plus a small remainder: x·w is ~1e-4 of the terms.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 1; c < cols; c += 2)
        wv[static_cast<size_t>(r * cols + c)] = -wv[static_cast<size_t>(r * cols + c - 1)];
    for (int64_t t = 0; t < n; ++t)
      for (int64_t c = 1; c < cols; c += 2)
        x[static_cast<size_t>(t * cols + c)] = x[static_cast<size_t>(t * cols + c - 1)] * (1.0f + 1e-4f);
    WeightMatrix w = make_f32_matrix("w", rows, cols, wv);
    std::vector<float> fast(static_cast<size_t>(n * rows)), exact(fast.size());
    matmul(pool, x.data(), n, w, fast.data());
    w.exact_sums = true;
    matmul(pool, x.data(), n, w, exact.data());
    int64_t fast_off = 0;
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        long double s = 0.0L;
        for (int64_t c = 0; c < cols; ++c)
          s += static_cast<long double>(x[static_cast<size_t>(t * cols + c)]) *
               wv[static_cast<size_t>(r * cols + c)];
        const float want = static_cast<float>(s);
        const size_t i = static_cast<size_t>(t * rows + r);
        EXPECT_LE(std::fabs(exact[i] - want), std::nextafter(std::fabs(want), INFINITY) - std::fabs(want))
            << "n=" << n << " t=" << t << " r=" << r;
        if (std::fabs(fast[i] - want) > 4.0f * (std::nextafter(std::fabs(want), INFINITY) - std::fabs(want)))
          ++fast_off;
      }
    // The case is hard enough that float accumulation misses (otherwise this test proves nothing).
    EXPECT_GT(fast_off, n * rows / 4) << "n=" << n;
  }
}

// The F16 KV cache's rounding: the vector form gives f32_to_f16's half for every kind of float (ties,
// subnormal halves, overflow to infinity, signed zeros), in runs that leave vector tails.
TEST(SimdKernels, F32ToF16RowRoundsAsTheScalarConversion) {
  std::mt19937 rng(5);
  std::vector<float> x;
  for (int i = 0; i < 4000; ++i) {
    uint32_t bits = rng();
    bits = (bits & 0x8FFFFFFFu) | ((100u + rng() % 60u) << 23);  // exponents around F16's range
    float f;
    std::memcpy(&f, &bits, sizeof f);
    x.push_back(f);
  }
  for (const float f : {0.0f, -0.0f, 1.0f + 1.0f / 2048.0f, 1.0f + 3.0f / 2048.0f, 65504.0f, 65520.0f, 1e9f,
                        -1e9f, 5.96e-8f, 2.98e-8f, 6.1e-5f, 3.0e-5f})
    x.push_back(f);
  for (const size_t n : {x.size(), size_t{7}, size_t{13}}) {
    std::vector<uint16_t> got(n);
    simd::f32_to_f16_row(x.data(), got.data(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], f32_to_f16(x[i])) << "value " << x[i];
  }
}

// The direct decode products over cache rows (engine/attention.cpp, run_rows_tile): dot_f16 and axpy_f16
// against the same sums in double over the widened values, with vector tails; the F32 rows' dot and
// axpy give the F16 ones' bits on the widened values.
TEST(SimdKernels, F16DotAndAxpyMatchDoubleSums) {
  std::mt19937 rng(9);
  std::normal_distribution<float> nd;
  for (const int64_t n : {int64_t{8}, int64_t{64}, int64_t{128}, int64_t{131}}) {
    std::vector<uint16_t> h(static_cast<size_t>(n));
    std::vector<float> b(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      h[static_cast<size_t>(i)] = f32_to_f16(nd(rng));
      b[static_cast<size_t>(i)] = nd(rng);
      y[static_cast<size_t>(i)] = nd(rng);
    }
    double dot = 0.0, mag = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      dot += static_cast<double>(f16_to_f32(h[static_cast<size_t>(i)])) * b[static_cast<size_t>(i)];
      mag +=
          std::fabs(static_cast<double>(f16_to_f32(h[static_cast<size_t>(i)])) * b[static_cast<size_t>(i)]);
    }
    EXPECT_NEAR(simd::dot_f16(h.data(), b.data(), n), dot, 1e-6 * mag) << "n=" << n;
    std::vector<float> widened(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) widened[static_cast<size_t>(i)] = f16_to_f32(h[static_cast<size_t>(i)]);
    const float d16 = simd::dot_f16(h.data(), b.data(), n),
                d32 = simd::dot_f32_f16_order(widened.data(), b.data(), n);
    EXPECT_EQ(std::memcmp(&d16, &d32, sizeof d16), 0) << "n=" << n;
    std::vector<float> got = y, got32 = y;
    simd::axpy_f16(0.37f, h.data(), got.data(), n);
    simd::axpy(0.37f, widened.data(), got32.data(), n);
    EXPECT_EQ(got, got32) << "n=" << n;
    for (int64_t i = 0; i < n; ++i) {
      const double want = y[static_cast<size_t>(i)] + 0.37 * f16_to_f32(h[static_cast<size_t>(i)]);
      EXPECT_NEAR(got[static_cast<size_t>(i)], want, 1e-6 * (1.0 + std::fabs(want)))
          << "n=" << n << " i=" << i;
    }
  }
}

// The softmax's column-wise kernels, with column counts that leave vector tails.
TEST(SimdKernels, RowWiseMaxAndExpMatchTheFormulas) {
  for (const int64_t cols : {int64_t{5}, int64_t{8}, int64_t{60}, int64_t{67}}) {
    const int64_t n_rows = 37;
    const auto x = randn(static_cast<size_t>(n_rows * cols), 50 + cols, 3.0f);
    std::vector<float> m(static_cast<size_t>(cols), -INFINITY);
    m[0] = 100.0f;  // a running max above every value stays
    simd::max_rows(x.data(), n_rows, cols, m.data());
    std::vector<float> shift(static_cast<size_t>(cols)), sums(static_cast<size_t>(cols), 1.0f);
    for (int64_t c = 0; c < cols; ++c) {
      float want = c == 0 ? 100.0f : -INFINITY;
      for (int64_t j = 0; j < n_rows; ++j) want = std::max(want, x[static_cast<size_t>(j * cols + c)]);
      EXPECT_EQ(m[static_cast<size_t>(c)], want) << "cols " << cols << " column " << c;
      shift[static_cast<size_t>(c)] = want;
    }
    auto e = x;
    simd::exp_shift_rows(e.data(), n_rows, cols, shift.data(), sums.data());
    for (int64_t c = 0; c < cols; ++c) {
      double sum = 1.0;
      for (int64_t j = 0; j < n_rows; ++j) {
        const size_t i = static_cast<size_t>(j * cols + c);
        const double want = std::exp(static_cast<double>(x[i]) - shift[static_cast<size_t>(c)]);
        EXPECT_NEAR(e[i], want, 1e-6 * want + 1e-38) << "cols " << cols << " at " << j << "," << c;
        sum += want;
      }
      EXPECT_NEAR(sums[static_cast<size_t>(c)], sum, 1e-5 * sum);
    }
  }
}

// Whatever vector width runs them (16 lanes where AVX-512 is in use, 8 for the last chunk, scalar for the
// tail), exp_shift_rows and silu_mul give the 8-lane exp's bits through their formulas, element by element:
// the reference order relies on SiLU's bits.
TEST(SimdKernels, ExpShiftAndSiluGiveTheVectorExpsBits) {
  if (!simd::has_avx2()) GTEST_SKIP() << "no AVX2: the scalar forms use std::exp";
  for (const int64_t cols : {int64_t{8}, int64_t{16}, int64_t{24}, int64_t{40}, int64_t{192}}) {
    const int64_t n_rows = 9;
    const auto x = randn(static_cast<size_t>(n_rows * cols), 70 + cols, 4.0f);
    const auto shift = randn(static_cast<size_t>(cols), 80 + cols, 2.0f);
    std::vector<float> sums(static_cast<size_t>(cols), 0.5f), got = x;
    simd::exp_shift_rows(got.data(), n_rows, cols, shift.data(), sums.data());
    for (int64_t c = 0; c < cols; ++c) {
      float sum = 0.0f;
      for (int64_t j = 0; j < n_rows; ++j) {
        const size_t i = static_cast<size_t>(j * cols + c);
        const float arg = x[i] - shift[static_cast<size_t>(c)];
        float e;
        simd::exp_lanes(&arg, &e, 1);
        ASSERT_EQ(got[i], e) << "cols " << cols << " at " << j << "," << c;
        sum += e;
      }
      ASSERT_EQ(sums[static_cast<size_t>(c)], 0.5f + sum) << "cols " << cols << " column " << c;
    }
  }
  const int64_t n = 16 * 5 + 8 + 3;
  const auto g = randn(static_cast<size_t>(n), 91, 6.0f), u = randn(static_cast<size_t>(n), 92);
  std::vector<float> out(static_cast<size_t>(n));
  simd::silu_mul(g.data(), u.data(), out.data(), n);
  for (int64_t i = 0; i < n - 3; ++i) {  // the last 3 are the scalar tail (std::exp)
    const float neg = 0.0f - g[static_cast<size_t>(i)];
    float e;
    simd::exp_lanes(&neg, &e, 1);
    ASSERT_EQ(out[static_cast<size_t>(i)], g[static_cast<size_t>(i)] / (1.0f + e) * u[static_cast<size_t>(i)])
        << "element " << i;
  }
}

TEST(Ops, RmsNormMatchesNaive) {
  const int64_t n = 7, dim = 93;
  auto x = randn(static_cast<size_t>(n * dim), 3, 5.0f);
  const auto w = randn(static_cast<size_t>(dim), 4);
  std::vector<float> got(x.size());
  rms_norm(x.data(), w.data(), got.data(), n, dim, 1e-5f);
  naive::rmsnorm(x, w, n, dim, 1e-5f);
  expect_close(got, x, 1e-6f, "rmsnorm");
}

TEST(Ops, SwigluAndEmbedding) {
  const auto g = randn(50, 5, 4.0f), u = randn(50, 6);
  std::vector<float> out(50);
  swiglu(g.data(), u.data(), out.data(), 50);
  for (size_t i = 0; i < 50; ++i)
    EXPECT_NEAR(out[i], g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i], 1e-5);
  const auto tv = randn(10 * 6, 7);
  const WeightMatrix table = make_16bit_matrix("emb", WeightType::F16, 10, 6, tv);
  const std::vector<int32_t> ids = {3, 9, 0};
  std::vector<float> rows(3 * 6);
  embedding_lookup(table, ids, rows.data());
  const auto ref = naive::to_float(table);
  for (size_t t = 0; t < 3; ++t)
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(rows[t * 6 + i], ref[static_cast<size_t>(ids[t]) * 6 + i]);
  const std::vector<int32_t> bad = {10};
  EXPECT_THROW(embedding_lookup(table, bad, rows.data()), std::out_of_range);
}

TEST(Rope, LayoutsAndScalingsMatchNaive) {
  for (bool neox : {false, true})
    for (int scaling = 0; scaling < 3; ++scaling) {
      ModelHParams hp;
      hp.head_dim = 32;
      hp.rope_dim = scaling == 2 ? 32 : 24;  // partial rotation too
      hp.rope_freq_base = 10000.0f;
      hp.rope_neox = neox;
      hp.rope_scaling = scaling == 0   ? RopeScaling::None
                        : scaling == 1 ? RopeScaling::Linear
                                       : RopeScaling::Llama3;
      hp.rope_scale_factor = 4.0f;
      hp.rope_orig_ctx = 64;
      const RopeParams p = RopeParams::from_hparams(hp);
      const std::vector<int32_t> pos = {0, 1, 7, 100, 513, 2047, 5};
      const int32_t heads = 3;
      auto x = randn(pos.size() * heads * 32, 8);
      auto want = x;
      RopeTable table(p, pos);
      rope_apply(p, table, 0, x.data(), static_cast<int64_t>(pos.size()), heads);
      for (size_t t = 0; t < pos.size(); ++t)
        for (int32_t h = 0; h < heads; ++h) naive::rope_head(want.data() + (t * heads + h) * 32, pos[t], p);
      SCOPED_TRACE(::testing::Message() << "neox=" << neox << " scaling=" << scaling);
      // Float angle accumulation (as the reference engine does) vs double: ~1e-7 * position radians.
      expect_close(x, want, 2e-4f, "rope");
      if (scaling == 2) {
        // Llama 3 factors: 1 for high frequencies, `factor` for the lowest, smooth in between.
        EXPECT_FLOAT_EQ(p.freq_factors.front(), 1.0f);
        EXPECT_FLOAT_EQ(p.freq_factors.back(), 4.0f);
      }
    }
}

TEST(Rope, TableUpdateKeepsPrefixAndMatchesFresh) {
  ModelHParams hp;
  hp.head_dim = hp.rope_dim = 16;
  const RopeParams p = RopeParams::from_hparams(hp);
  std::vector<int32_t> pos = {4, 5, 6};
  RopeTable t(p, pos);
  pos.push_back(90);
  pos.push_back(3);
  t.update(p, pos, 3);
  const RopeTable fresh(p, pos);
  ASSERT_EQ(t.size(), 5);
  for (int64_t r = 0; r < 5; ++r)
    for (int32_t i = 0; i < 8; ++i) {
      EXPECT_EQ(t.cos_row(r)[i], fresh.cos_row(r)[i]);
      EXPECT_EQ(t.sin_row(r)[i], fresh.sin_row(r)[i]);
    }
}

}  // namespace
}  // namespace dbsa

namespace dbsa {
namespace {

// The vector rotation must give the scalar formula's exact bits (pre-RoPE keys are rotated on every
// read, and results are compared with the reference engine to the last bit): each output one FMA over the
// other product, rounded, as core/engine/rope.cpp says.
TEST(Rope, RotationIsBitIdenticalToTheScalarFormula) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (const bool neox : {false, true})
    for (const int32_t n_rot : {2, 6, 8, 14, 16, 30, 64, 96, 128}) {
      SCOPED_TRACE(std::string(neox ? "neox" : "normal") + " n_rot " + std::to_string(n_rot));
      RopeParams p;
      p.head_dim = n_rot + 4;  // unrotated tail dims stay as they are
      p.n_rot = n_rot;
      p.neox = neox;
      const int32_t half = n_rot / 2;
      std::vector<float> c(static_cast<size_t>(half)), s(static_cast<size_t>(half));
      std::vector<float> x(static_cast<size_t>(p.head_dim));
      for (int trial = 0; trial < 20; ++trial) {
        for (int32_t i = 0; i < half; ++i) {
          const float angle = nd(rng) * 100.0f;
          c[static_cast<size_t>(i)] = std::cos(angle);
          s[static_cast<size_t>(i)] = std::sin(angle);
        }
        for (auto& v : x) v = nd(rng);
        std::vector<float> want = x;
        for (int32_t i = 0; i < half; ++i) {
          const size_t a = neox ? static_cast<size_t>(i) : static_cast<size_t>(2 * i);
          const size_t b = neox ? static_cast<size_t>(i + half) : static_cast<size_t>(2 * i + 1);
          const float x0 = x[a], x1 = x[b];
          volatile float p1 = x1 * s[static_cast<size_t>(i)], p3 = x1 * c[static_cast<size_t>(i)];
          want[a] = std::fma(x0, c[static_cast<size_t>(i)], -p1);
          want[b] = std::fma(x0, s[static_cast<size_t>(i)], p3);
        }
        rope_rotate_head(p, c.data(), s.data(), x.data());
        for (size_t k = 0; k < x.size(); ++k) ASSERT_EQ(x[k], want[k]) << "value " << k;
      }
    }
}

}  // namespace
}  // namespace dbsa
