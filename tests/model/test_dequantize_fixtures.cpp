// Dequantization of the shared fixtures: the Q8_0 and F16 files hold the same model as the F32 file,
// so their decoded weights must agree with it within the format's rounding; the Q4_K_M file must give
// finite weights with the statistics of its normal initialisation.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "model/dequantize.h"
#include "model/gguf_file.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

std::unique_ptr<GgufFile> open_fixture(const std::string& name) {
  return GgufFile::open(test::fixture("models/" + name).string());
}

TEST(DequantizeFixtures, Q8_0MatchesTheF32ModelWithinHalfAStep) {
  const auto f32 = open_fixture("tiny-spm-f32.gguf");
  const auto q8 = open_fixture("tiny-spm-q8_0.gguf");
  int q8_tensors = 0;
  for (const auto& t : q8->tensors()) {
    const auto got = dequantize_tensor(t);
    const auto ref = dequantize_tensor(f32->tensor(t.name));
    ASSERT_EQ(got.size(), ref.size()) << t.name;
    if (t.type != GgmlType::Q8_0) {
      EXPECT_EQ(got, ref) << t.name;
      continue;
    }
    ++q8_tensors;
    for (size_t b = 0; b < ref.size(); b += 32) {
      float amax = 0.0f;
      for (size_t i = b; i < b + 32; ++i) amax = std::fmax(amax, std::fabs(ref[i]));
      // Half a quantization step, plus the f16 rounding of the scale magnified by |q| <= 127.
      const float tol = amax / 127.0f * 0.56f + 1e-12f;
      for (size_t i = b; i < b + 32; ++i)
        ASSERT_LE(std::fabs(got[i] - ref[i]), tol) << t.name << " element " << i;
    }
  }
  EXPECT_EQ(q8_tensors, 1 + 7 * 2);  // embedding + 7 matrices per layer
}

TEST(DequantizeFixtures, F16IsTheRoundedF32Model) {
  const auto f32 = open_fixture("tiny-spm-f32.gguf");
  const auto f16 = open_fixture("tiny-spm-f16.gguf");
  for (const auto& t : f16->tensors()) {
    const auto got = dequantize_tensor(t);
    const auto ref = dequantize_tensor(f32->tensor(t.name));
    ASSERT_EQ(got.size(), ref.size());
    if (t.type == GgmlType::F32) {  // the norms stay F32
      EXPECT_EQ(got, ref) << t.name;
      continue;
    }
    ASSERT_EQ(t.type, GgmlType::F16) << t.name;
    for (size_t i = 0; i < ref.size(); ++i) {
      // Nearest-even rounding to 11 significant bits: relative error <= 2^-11 (normal range).
      ASSERT_LE(std::fabs(got[i] - ref[i]), std::fabs(ref[i]) * 0x1p-11f + 0x1p-25f) << t.name << " " << i;
      ASSERT_EQ(got[i], f16_to_f32(f32_to_f16(ref[i]))) << t.name << " " << i;
    }
  }
}

TEST(DequantizeFixtures, Q4_KMTensorsAreFiniteWithPlausibleStatistics) {
  const auto f = open_fixture("k256-q4_k_m.gguf");
  int k4 = 0, k6 = 0;
  for (const auto& t : f->tensors()) {
    const auto x = dequantize_tensor(t);
    double sum = 0.0, sq = 0.0;
    for (float v : x) {
      ASSERT_TRUE(std::isfinite(v)) << t.name;
      sum += v;
      sq += static_cast<double>(v) * v;
    }
    const double mean = sum / static_cast<double>(x.size());
    const double rms = std::sqrt(sq / static_cast<double>(x.size()));
    if (t.dims.size() == 1) {
      EXPECT_NEAR(mean, 1.0, 0.1) << t.name;  // norms
      continue;
    }
    k4 += t.type == GgmlType::Q4_K;
    k6 += t.type == GgmlType::Q6_K;
    // Zero-mean normal weights: the mean is tiny next to the spread, and the spread is sane.
    EXPECT_LT(std::fabs(mean), 0.05 * rms) << t.name;
    EXPECT_GT(rms, 0.01) << t.name;
    EXPECT_LT(rms, 2.0) << t.name;
    // A quantizer that scrambled elements would still be zero-mean; neighbouring rows of a random matrix
    // are independent, so instead check the distribution shape: ~68% within one rms of the mean.
    size_t within = 0;
    for (float v : x) within += std::fabs(v - mean) <= rms;
    const double frac = static_cast<double>(within) / static_cast<double>(x.size());
    EXPECT_GT(frac, 0.6) << t.name;
    EXPECT_LT(frac, 0.8) << t.name;
  }
  EXPECT_GT(k4, 0);
  EXPECT_GT(k6, 0);
}

TEST(DequantizeFixtures, EveryFixtureTensorDecodes) {
  for (const char* name : {"stories260K-f32.gguf", "tiny-gpt2bpe-f32.gguf", "tiny-llama3bpe-f16.gguf"}) {
    const auto f = open_fixture(name);
    for (const auto& t : f->tensors()) {
      const auto x = dequantize_tensor(t);
      ASSERT_EQ(x.size(), t.n_elements);
      for (float v : x) ASSERT_TRUE(std::isfinite(v)) << name << " " << t.name;
    }
  }
}

}  // namespace
}  // namespace dbsa
