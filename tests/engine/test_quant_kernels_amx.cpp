// The AMX tile kernels (engine/quant_kernels_amx.h) return the bits of their portable twin for every
// (weight row, token) whatever the batch (one token, partial and whole groups of 16 tokens and rows, the
// direct Q8_0 rows of the one-token kernel), and the twin sums what the dequantized blocks say.
#include "engine/quant_kernels_amx.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/quant_kernels.h"
#include "exact_sum.h"
#include "model/dequantize.h"
#include "random_blocks.h"

namespace dbsa {
namespace {

constexpr WeightType kTileTypes[] = {WeightType::Q8_0,   WeightType::Q4_0, WeightType::Q5_0,
                                     WeightType::IQ4_NL, WeightType::Q4_1, WeightType::Q5_1,
                                     WeightType::Q2_K,   WeightType::Q3_K, WeightType::Q4_K,
                                     WeightType::Q5_K,   WeightType::Q6_K, WeightType::IQ4_XS};

using test::random_rows;

std::vector<std::byte> quantized_tokens(WeightType t, int n_x, int64_t n, std::mt19937& rng) {
  const ActivationBlocks ab = activation_blocks(t);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const int64_t xb = activation_row_bytes(ab, n);
  std::vector<std::byte> xq(static_cast<size_t>(n_x * xb));
  std::vector<float> x(static_cast<size_t>(n));
  for (int row = 0; row < n_x; ++row) {
    for (auto& v : x) v = g(rng);
    x[3] = 7.5f;  // an outlier, as residual streams have
    quantize_activations(ab, x.data(), xq.data() + row * xb, n);
  }
  return xq;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(QuantKernelsAmx, PortableTwinSumsTheDequantizedBlocks) {
  std::mt19937 rng(5);
  constexpr int64_t n = 1024;
  for (const WeightType t : kTileTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    for (int trial = 0; trial < 20; ++trial) {
      const auto w = random_rows(t, 1, n, rng);
      const auto xq = quantized_tokens(t, 1, n, rng);
      std::vector<float> wf(n), xf(n);
      dequantize(ggml_type_of(t), w.data(), wf.data(), n);
      dequantize_activations(activation_blocks(t), xq.data(), xf.data(), n);
      const auto [exact, magnitude] = test::exact_sum(t, w.data(), xq.data(), wf.data(), xf.data(), n);
      const float twin = amx::portable_dot(t, w.data(), xq.data(), n);
      EXPECT_LE(std::fabs(twin - exact), 1e-5 * magnitude + 1e-30) << "trial " << trial;
      // The vector kernels' order (eight lane sums per block) rounds differently, but only in the float
      // additions: the two stay within a few ulps of the sum's magnitude.
      float vector_order = 0.0f;
      quant_gemm(t, Isa::Portable)(w.data(), 0, 1, xq.data(), 0, 1, n, &vector_order, 1);
      EXPECT_LE(std::fabs(twin - vector_order), 1e-6 * magnitude + 1e-30) << "trial " << trial;
    }
  }
}

TEST(QuantKernelsAmx, TilesReturnTheTwinsBitsForEveryBatch) {
  if (!amx::supported()) GTEST_SKIP() << "no AMX tiles on this CPU (or kernel): only the twin was checked";
  std::mt19937 rng(17);
  constexpr int64_t n = 512;
  constexpr int kRows = 37;  // two whole groups of 16 rows and a partial one
  for (const WeightType t : kTileTypes) {
    SCOPED_TRACE(std::string(weight_type_name(t)));
    const int64_t xb = activation_row_bytes(activation_blocks(t), n);
    const auto w = random_rows(t, kRows, n, rng);
    const int64_t wb = static_cast<int64_t>(w.size()) / kRows;
    const auto xq = quantized_tokens(t, 35, n, rng);
    for (const int n_w : {1, 5, 16, 17, kRows})
      for (const int n_x : {1, 2, 7, 16, 17, 35}) {
        std::vector<float> out(static_cast<size_t>(n_x * kRows), -1.0f);
        quant_gemm(t, Isa::Amx)(w.data(), wb, n_w, xq.data(), xb, n_x, n, out.data(), kRows);
        for (int x = 0; x < n_x; ++x)
          for (int r = 0; r < kRows; ++r) {
            if (r >= n_w) {
              EXPECT_EQ(out[x * kRows + r], -1.0f)
                  << "row " << r << " past the " << n_w << " asked for was written";
              continue;
            }
            const float twin = amx::portable_dot(t, w.data() + r * wb, xq.data() + x * xb, n);
            EXPECT_EQ(bits(out[x * kRows + r]), bits(twin))
                << n_w << " rows x " << n_x << " tokens: weight row " << r << ", token " << x;
          }
      }
  }
}

// Packing in pieces (as the matmul's pool splits the groups) writes what one call writes, and padding
// tokens are zero bytes with zero scales.
TEST(QuantKernelsAmx, PackingSplitsByGroupsAndPadsWithZeros) {
  if (!amx::supported()) GTEST_SKIP() << "no AMX tiles on this CPU (or kernel)";
  std::mt19937 rng(23);
  constexpr int64_t n = 256;
  constexpr int n_x = 37;
  const int64_t xb = activation_row_bytes(ActivationBlocks::Q8_0, n);
  const auto xq = quantized_tokens(WeightType::Q8_0, n_x, n, rng);
  const int64_t bytes = amx::packed_bytes(WeightType::Q8_0, n_x, n);
  ASSERT_EQ(bytes, 3 * (n / 32) * (16 * 32 + 64));
  std::vector<std::byte> whole(static_cast<size_t>(bytes), std::byte{0x5a}), pieces(whole);
  amx::pack(WeightType::Q8_0, xq.data(), xb, n_x, n, 0, 3, whole.data());
  for (int g = 2; g >= 0; --g) amx::pack(WeightType::Q8_0, xq.data(), xb, n_x, n, g, g + 1, pieces.data());
  EXPECT_EQ(whole, pieces);
  // The last group holds tokens 32..36: token slots 5..15 are padding.
  const std::byte* last = whole.data() + 2 * (n / 32) * (16 * 32 + 64);
  for (int64_t b = 0; b < n / 32; ++b) {
    for (int k = 0; k < 8; ++k)
      for (int slot = 5; slot < 16; ++slot)
        for (int i = 0; i < 4; ++i) EXPECT_EQ(last[b * 512 + 64 * k + 4 * slot + i], std::byte{0});
    float d[16];
    std::memcpy(d, last + (n / 32) * 512 + b * 64, sizeof d);
    for (int slot = 5; slot < 16; ++slot) EXPECT_EQ(d[slot], 0.0f);
  }
  // Q8_1 tokens (Q4_1 weights): each block's 16 sums s follow all the group's scales, as float.
  const int64_t xb1 = activation_row_bytes(ActivationBlocks::Q8_1, n);
  const auto xq1 = quantized_tokens(WeightType::Q4_1, n_x, n, rng);
  ASSERT_EQ(amx::packed_bytes(WeightType::Q4_1, n_x, n), 3 * (n / 32) * (16 * 32 + 128));
  std::vector<std::byte> with_sums(static_cast<size_t>(amx::packed_bytes(WeightType::Q4_1, n_x, n)));
  amx::pack(WeightType::Q4_1, xq1.data(), xb1, n_x, n, 0, 3, with_sums.data());
  for (int64_t b = 0; b < n / 32; ++b)
    for (int slot = 0; slot < 16; ++slot) {
      const auto& block = reinterpret_cast<const BlockQ8_1*>(xq1.data() + slot * xb1)[b];
      float d, s;
      std::memcpy(&d, with_sums.data() + (n / 32) * 512 + (b * 16 + slot) * 4, 4);
      std::memcpy(&s, with_sums.data() + (n / 32) * (512 + 64) + (b * 16 + slot) * 4, 4);
      EXPECT_EQ(d, f16_to_f32(block.d));
      EXPECT_EQ(s, f16_to_f32(block.s));
    }
}

TEST(QuantKernelsAmx, TheTypesWithTileKernelsAndTheVectorChoice) {
  EXPECT_TRUE(amx::has_kernel(WeightType::Q8_0));
  EXPECT_TRUE(amx::has_kernel(WeightType::Q5_0));
  EXPECT_TRUE(amx::has_kernel(WeightType::Q4_K));
  EXPECT_TRUE(amx::has_kernel(WeightType::Q6_K));
  EXPECT_TRUE(amx::has_kernel(WeightType::Q3_K));
  EXPECT_TRUE(amx::has_kernel(WeightType::Q2_K));
  EXPECT_TRUE(amx::has_kernel(WeightType::IQ4_XS));
  EXPECT_FALSE(amx::has_kernel(WeightType::BF16));
  EXPECT_FALSE(amx::has_kernel(WeightType::F16));
  if (best_isa() == Isa::Amx) {
    EXPECT_EQ(kernel_isa(WeightType::Q6_K), Isa::Amx);
    EXPECT_EQ(kernel_isa(WeightType::Q2_K), Isa::Amx);
    // cpu-reference's choice: the vector kernels, whose sums are the reference's (engine/cpu_backend.h).
    for (const WeightType t : kTileTypes)  // IQ4_XS has no AVX-512 kernel
      EXPECT_EQ(kernel_isa(t, QuantKernels::Vector), t == WeightType::IQ4_XS ? Isa::Avx2 : Isa::Avx512Vnni);
    EXPECT_THROW(amx::gemm(WeightType::F16, nullptr, 0, 1, nullptr, 0, nullptr, 1, 256, nullptr, 1),
                 std::invalid_argument);
  }
  EXPECT_THROW(amx::portable_dot(WeightType::F32, nullptr, nullptr, 32), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
