// The integer kernels of quantized weights (engine/quant_kernels.h): the AVX2 kernels return the same
// bits as their portable twins, both match a naive double-precision dot product of the dequantized
// values, and the matmul's prefill and decode give the same bits.
#include "engine/quant_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "engine/activation_rounding.h"
#include "engine/matmul.h"
#include "engine/simd_kernels.h"
#include "exact_sum.h"
#include "model/dequantize.h"
#include "random_blocks.h"

namespace dbsa {
namespace {

constexpr WeightType kTypes[] = {WeightType::Q8_0, WeightType::Q4_0, WeightType::Q5_0,   WeightType::Q4_1,
                                 WeightType::Q5_1, WeightType::Q2_K, WeightType::Q3_K,   WeightType::Q4_K,
                                 WeightType::Q5_K, WeightType::Q6_K, WeightType::IQ4_NL, WeightType::IQ4_XS};

using test::exact_sum;
using test::ExactSum;
using test::random_matrix;
using test::random_rows;

float dot1(WeightType t, Isa isa, const void* w, const void* x, int64_t n) {
  float out = 0.0f;
  quant_gemm(t, isa)(w, 0, 1, x, 0, 1, n, &out, 1);
  return out;
}

constexpr Isa kIsas[] = {Isa::Portable, Isa::Avx2, Isa::Avx512Vnni};

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::vector<float> random_activations(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = g(rng);
  x[7] = 9.5f;  // an outlier, as real residual streams have
  return x;
}

TEST(QuantKernels, Avx2AndPortableTwinsAgreeBitForBitAndMatchTheDequantizedValues) {
  std::mt19937 rng(42);
  constexpr int64_t n = 1024;  // 4 super-blocks, 32 Q8_0 blocks
  for (const WeightType t : kTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    const ActivationBlocks ab = activation_blocks(t);
    for (int trial = 0; trial < 20; ++trial) {
      const auto w = random_rows(t, 1, n, rng);
      const auto x = random_activations(n, rng);
      std::vector<std::byte> xq(static_cast<size_t>(activation_row_bytes(ab, n)));
      quantize_activations(ab, x.data(), xq.data(), n);
      const float portable = dot1(t, Isa::Portable, w.data(), xq.data(), n);

      std::vector<float> wf(n), xf(n);
      dequantize(ggml_type_of(t), w.data(), wf.data(), n);
      dequantize_activations(ab, xq.data(), xf.data(), n);
      const ExactSum exact = exact_sum(t, w.data(), xq.data(), wf.data(), xf.data(), n);
      EXPECT_LE(std::fabs(portable - exact.value), 1e-5 * exact.magnitude + 1e-30) << "trial " << trial;

      for (const Isa isa : kIsas) {
        if (!isa_supported(isa)) continue;
        const float wide = dot1(t, isa, w.data(), xq.data(), n);
        EXPECT_EQ(bits(portable), bits(wide))
            << "trial " << trial << ": portable " << portable << ", " << isa_name(isa) << " " << wide;
      }
    }
  }
  if (!isa_supported(Isa::Avx2)) GTEST_SKIP() << "no AVX2 here: only the portable kernels were checked";
}

// A (weight row, activation row) result does not depend on how many rows share the kernel call
// (tiles of four, then three, two, one, on either side) nor on the instruction set.
TEST(QuantKernels, EveryRowPairGetsTheSameBitsInAnyTileAndIsa) {
  std::mt19937 rng(11);
  constexpr int64_t n = 512;
  constexpr int kRows = 7;
  for (const WeightType t : kTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    const ActivationBlocks ab = activation_blocks(t);
    const int64_t xb = activation_row_bytes(ab, n);
    const auto w = random_rows(t, kRows, n, rng);
    const int64_t wb = static_cast<int64_t>(w.size()) / kRows;
    std::vector<std::byte> xq(static_cast<size_t>(kRows * xb));
    for (int r = 0; r < kRows; ++r)
      quantize_activations(ab, random_activations(n, rng).data(), xq.data() + r * xb, n);
    for (const Isa isa : kIsas) {
      if (!isa_supported(isa)) continue;
      SCOPED_TRACE(std::string(isa_name(isa)));
      for (int n_w = 1; n_w <= kRows; ++n_w)
        for (int n_x = 1; n_x <= kRows; ++n_x) {
          std::vector<float> out(static_cast<size_t>(n_x * kRows), -1.0f);
          quant_gemm(t, isa)(w.data(), wb, n_w, xq.data(), xb, n_x, n, out.data(), kRows);
          for (int x = 0; x < n_x; ++x)
            for (int r = 0; r < n_w; ++r)
              EXPECT_EQ(bits(out[x * kRows + r]),
                        bits(dot1(t, Isa::Portable, w.data() + r * wb, xq.data() + x * xb, n)))
                  << n_w << "x" << n_x << " tile, weight row " << r << ", activation row " << x;
        }
    }
  }
}

// The AVX2 quantizers write the portable ones' bytes: random rows, rows whose values fall exactly on
// rounding ties (x·127/max|x| = k + 0.5), rows of zeros and rows whose largest magnitude occurs twice
// with both signs (the first one sets Q8_K's sign).
TEST(QuantKernels, ActivationQuantizersGiveTheSameBytesOnEveryIsa) {
  std::mt19937 rng(5);
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(random_activations(512, rng));
  std::vector<float> ties(512);
  for (int i = 0; i < 512; ++i) ties[i] = static_cast<float>(i % 254 - 127) + (i % 3 == 0 ? 0.5f : 0.0f);
  for (int b = 0; b < 512; b += 32) ties[b] = 127.0f;
  rows.push_back(ties);
  rows.push_back(std::vector<float>(512, 0.0f));
  std::vector<float> both = random_activations(512, rng);
  both[3] = -20.0f;
  both[200] = 20.0f;
  both[300] = 20.0f;
  both[301] = -20.0f;
  rows.push_back(both);
  for (const ActivationBlocks ab : {ActivationBlocks::Q8_0, ActivationBlocks::Q8_1, ActivationBlocks::Q8_K}) {
    const auto bytes = static_cast<size_t>(activation_row_bytes(ab, 512));
    for (size_t k = 0; k < rows.size(); ++k) {
      std::vector<std::byte> portable(bytes), wide(bytes);
      quantize_activations(ab, rows[k].data(), portable.data(), 512, Isa::Portable);
      for (const Isa isa : kIsas) {
        if (!isa_supported(isa)) continue;
        quantize_activations(ab, rows[k].data(), wide.data(), 512, isa);
        EXPECT_EQ(portable, wide) << "row " << k << ", " << isa_name(isa);
      }
    }
  }
}

TEST(QuantKernels, ActivationBlocksFollowTheReferenceQuantizers) {
  std::mt19937 rng(7);
  const auto x = random_activations(512, rng);
  // Q8_K: the signed value of largest magnitude becomes -127, the sums per 16 are exact.
  std::vector<BlockQ8_K> k(2);
  quantize_activations(ActivationBlocks::Q8_K, x.data(), k.data(), 512);
  EXPECT_EQ(k[0].qs[7], -127);  // x[7] is the outlier
  for (const auto& b : k)
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += b.qs[16 * j + i];
      EXPECT_EQ(b.bsums[j], s);
    }
  // Q8_0: q = round(x·127/max|x|), scale F16 of max|x|/127; each value within half a step.
  std::vector<BlockQ8_0> q(16);
  quantize_activations(ActivationBlocks::Q8_0, x.data(), q.data(), 512);
  std::vector<float> back(512);
  dequantize_activations(ActivationBlocks::Q8_0, q.data(), back.data(), 512);
  for (int b = 0; b < 16; ++b) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * b + i]));
    const float d = amax / 127.0f;
    EXPECT_EQ(q[b].d, f32_to_f16(d));
    // Half a step, plus what storing the scale as F16 moves the largest value.
    const float tol = d / 2 + 127 * std::fabs(f16_to_f32(q[b].d) - d) + 1e-6f;
    for (int i = 0; i < 32; ++i) EXPECT_LE(std::fabs(back[32 * b + i] - x[32 * b + i]), tol);
  }
  // Q8_1: Q8_0's scale and values, and their sum times the float scale as F16.
  std::vector<BlockQ8_1> q1(16);
  quantize_activations(ActivationBlocks::Q8_1, x.data(), q1.data(), 512);
  for (int b = 0; b < 16; ++b) {
    EXPECT_EQ(q1[b].d, q[b].d);
    EXPECT_EQ(0, std::memcmp(q1[b].qs, q[b].qs, 32));
    float amax = 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      amax = std::max(amax, std::fabs(x[32 * b + i]));
      sum += q[b].qs[i];
    }
    EXPECT_EQ(q1[b].s, f32_to_f16(amax / 127.0f * static_cast<float>(sum)));
  }
  // The rounding of activations that meet dequantized weights is these blocks' values.
  std::vector<float> rounded(512);
  round_activations(ActivationRounding::Q8_0, x.data(), rounded.data(), 1, 512);
  EXPECT_EQ(rounded, back);
  EXPECT_THROW(quantize_activations(ActivationBlocks::Q8_K, x.data(), k.data(), 100), std::invalid_argument);
}

// Prefill (many tokens, tiles of four) and decode (one token) run the same kernels: a token's
// projection is the same bits whichever way it was computed, and within float noise of the exact sum
// of the weights' and the 8-bit activations' values.
TEST(QuantKernels, PrefillAndDecodeOfTheMatmulGiveTheSameBits) {
  std::mt19937 rng(3);
  ThreadPool pool(2);
  constexpr int64_t rows = 96, cols = 512, tokens = 9;
  for (const WeightType t : kTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    const WeightMatrix w = random_matrix(t, rows, cols, rng);
    const auto x = random_activations(tokens * cols, rng);
    std::vector<float> batched(tokens * rows), single(rows);
    matmul(pool, x.data(), tokens, w, batched.data());
    const ActivationBlocks ab = activation_blocks(t);
    std::vector<float> wf(cols), xf(cols);
    std::vector<std::byte> xq(static_cast<size_t>(activation_row_bytes(ab, cols)));
    for (int64_t tk = 0; tk < tokens; ++tk) {
      matmul(pool, x.data() + tk * cols, 1, w, single.data());
      quantize_activations(ab, x.data() + tk * cols, xq.data(), cols);
      dequantize_activations(ab, xq.data(), xf.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        EXPECT_EQ(bits(single[r]), bits(batched[tk * rows + r])) << "token " << tk << " row " << r;
        w.row_to_f32(r, wf.data());
        const ExactSum exact =
            exact_sum(t, static_cast<const std::byte*>(w.row_data(r)), xq.data(), wf.data(), xf.data(), cols);
        EXPECT_NEAR(single[r], exact.value, 1e-5 * exact.magnitude + 1e-12) << "token " << tk << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace dbsa

namespace dbsa {
namespace {

// matmuls() (a layer's q/k/v in one pass of the pool) gives each matrix the bits matmul() gives it, for
// matrices of one type, of mixed types (which run one after another) and batches of 1, 3 and 20 tokens.
TEST(QuantKernels, SharedInputProductsGiveEachMatmulsBits) {
  std::mt19937 rng(29);
  ThreadPool pool(2);
  constexpr int64_t cols = 256;
  const auto make = [&](WeightType t, int64_t rows) {
    const WeightMatrix w = random_matrix(t, rows, cols, rng);
    return w;
  };
  const std::vector<std::vector<WeightMatrix>> sets = {
      {make(WeightType::Q8_0, 96), make(WeightType::Q8_0, 40), make(WeightType::Q8_0, 23)},
      {make(WeightType::Q5_0, 64), make(WeightType::Q4_K, 33)},
      // The tile unit packs Q2_K's activations with more sums than the other K-quants'.
      {make(WeightType::Q3_K, 48), make(WeightType::Q2_K, 40), make(WeightType::Q4_K, 17)}};
  for (const auto& set : sets)
    for (const int64_t tokens : {1, 3, 20}) {
      SCOPED_TRACE(std::string(weight_type_name(set.back().type)) + ", " + std::to_string(tokens) +
                   " tokens");
      const auto x = random_activations(tokens * cols, rng);
      std::vector<std::vector<float>> together, alone;
      std::vector<MatmulTarget> targets;
      for (const WeightMatrix& w : set) {
        together.emplace_back(static_cast<size_t>(tokens * w.rows), -1.0f);
        alone.emplace_back(static_cast<size_t>(tokens * w.rows), -2.0f);
        matmul(pool, x.data(), tokens, w, alone.back().data());
      }
      for (size_t i = 0; i < set.size(); ++i) targets.push_back({&set[i], together[i].data()});
      matmuls(pool, x.data(), tokens, targets);
      for (size_t i = 0; i < set.size(); ++i)
        for (size_t k = 0; k < together[i].size(); ++k)
          ASSERT_EQ(bits(together[i][k]), bits(alone[i][k])) << "matrix " << i << " value " << k;
    }
}

}  // namespace
}  // namespace dbsa
