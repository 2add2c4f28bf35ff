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
#include "model/dequantize.h"

namespace dbsa {
namespace {

constexpr WeightType kTypes[] = {WeightType::Q8_0, WeightType::Q4_0, WeightType::Q5_0,
                                 WeightType::Q4_K, WeightType::Q5_K, WeightType::Q6_K};

void put_f16(std::byte* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

// Rows of random blocks: every quant byte random (so every bit pattern occurs, -128 in Q8_0 included),
// scales random F16 values of either sign.
std::vector<std::byte> random_rows(WeightType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  const auto info = *ggml_type_info(static_cast<uint32_t>(ggml_type_of(t)));
  const int64_t blocks = rows * cols / info.block_elems;
  std::vector<std::byte> out(static_cast<size_t>(blocks * info.block_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
  for (auto& b : out) b = static_cast<std::byte>(byte(rng));
  for (int64_t i = 0; i < blocks; ++i) {
    std::byte* b = out.data() + i * info.block_bytes;
    switch (t) {
      case WeightType::Q8_0:
      case WeightType::Q4_0:
      case WeightType::Q5_0:
        put_f16(b, scale(rng));
        break;
      case WeightType::Q4_K:
      case WeightType::Q5_K:
        put_f16(b, scale(rng));
        put_f16(b + 2, scale(rng));
        break;
      default:
        put_f16(b + 208, scale(rng));
        break;
    }
  }
  return out;
}

float dot1(WeightType t, Isa isa, const void* w, const void* x, int64_t n) {
  float out = 0.0f;
  quant_dots(t, isa)(w, x, 0, 1, n, &out);
  return out;
}

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
      double exact = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        exact += static_cast<double>(wf[i]) * xf[i];
        magnitude += std::fabs(static_cast<double>(wf[i]) * xf[i]);
      }
      EXPECT_LE(std::fabs(portable - exact), 1e-5 * magnitude + 1e-30) << "trial " << trial;

      if (!simd::has_avx2()) continue;
      const float avx2 = dot1(t, Isa::Avx2, w.data(), xq.data(), n);
      EXPECT_EQ(bits(portable), bits(avx2))
          << "trial " << trial << ": portable " << portable << ", AVX2 " << avx2;
    }
  }
  if (!simd::has_avx2()) GTEST_SKIP() << "no AVX2 here: only the portable kernels were checked";
}

// A row's result does not depend on how many rows share the kernel call (tiles of 4, then 3, 2, 1).
TEST(QuantKernels, EveryActivationRowGetsTheSameBitsInAnyTile) {
  std::mt19937 rng(11);
  constexpr int64_t n = 512;
  constexpr int kRows = 7;
  for (const WeightType t : kTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    const ActivationBlocks ab = activation_blocks(t);
    const int64_t xb = activation_row_bytes(ab, n);
    const auto w = random_rows(t, 1, n, rng);
    std::vector<std::byte> xq(static_cast<size_t>(kRows * xb));
    for (int r = 0; r < kRows; ++r)
      quantize_activations(ab, random_activations(n, rng).data(), xq.data() + r * xb, n);
    for (const Isa isa : {Isa::Portable, Isa::Avx2}) {
      if (isa == Isa::Avx2 && !simd::has_avx2()) continue;
      for (int m = 1; m <= kRows; ++m) {
        std::vector<float> out(m);
        quant_dots(t, isa)(w.data(), xq.data(), xb, m, n, out.data());
        for (int r = 0; r < m; ++r)
          EXPECT_EQ(bits(out[r]), bits(dot1(t, Isa::Portable, w.data(), xq.data() + r * xb, n)))
              << m << " rows, row " << r;
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
    auto bytes = std::make_shared<std::vector<std::byte>>(random_rows(t, rows, cols, rng));
    WeightMatrix w;
    w.name = "w";
    w.type = t;
    w.rows = rows;
    w.cols = cols;
    w.data = bytes->data();
    w.owner = bytes;
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
        double exact = 0.0, mag = 0.0;
        for (int64_t i = 0; i < cols; ++i) {
          exact += static_cast<double>(wf[i]) * xf[i];
          mag += std::fabs(static_cast<double>(wf[i]) * xf[i]);
        }
        EXPECT_NEAR(single[r], exact, 1e-5 * mag + 1e-12) << "token " << tk << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace dbsa
