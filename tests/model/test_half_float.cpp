// f16 / bf16 conversions against a reference written from the IEEE definitions with ldexp.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "half_ref.h"
#include "model/dequantize.h"

namespace dbsa {
namespace {

using test::ref_half;

TEST(HalfFloat, EveryF16PatternDecodesAsDefined) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    const double ref = ref_half(h);
    const float got = f16_to_f32(h);
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(got)) << i;
    } else {
      ASSERT_EQ(static_cast<double>(got), ref) << i;
      ASSERT_EQ(std::signbit(got), (i >> 15) != 0) << i;
    }
  }
}

TEST(HalfFloat, EveryF16PatternSurvivesARoundTrip) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    const uint16_t back = f32_to_f16(f16_to_f32(h));
    if (std::isnan(f16_to_f32(h))) {
      ASSERT_EQ(back & 0x7c00, 0x7c00) << i;
      ASSERT_NE(back & 0x3ff, 0) << i;
    } else {
      ASSERT_EQ(back, h) << i;
    }
  }
}

// The nearest half to x by exhaustive search over all finite halves (ties to the even pattern),
// overflowing to infinity at 65520 as IEEE rounding does.
uint16_t nearest_half(float x) {
  if (std::fabs(x) >= 65520.0f) return std::signbit(x) ? 0xfc00 : 0x7c00;
  uint16_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (uint32_t i = 0; i < 0x7c00; ++i) {
    const auto h = static_cast<uint16_t>(i | (std::signbit(x) ? 0x8000 : 0));
    const double err = std::fabs(ref_half(h) - static_cast<double>(x));
    if (err < best_err || (err == best_err && (h & 1) == 0)) {
      best_err = err;
      best = h;
    }
  }
  return best;
}

TEST(HalfFloat, F32ToF16RoundsToNearestEven) {
  const float cases[] = {1.0f,
                         1.0f + 0x1p-11f,      // tie between 1 and 1+2^-10: even (1)
                         1.0f + 3 * 0x1p-11f,  // tie: rounds up to the even 1+2^-9
                         1.0f + 0x1p-11f + 0x1p-20f,
                         65504.0f,
                         65519.0f,
                         -65519.99f,
                         0x1p-24f,      // smallest subnormal
                         0x1p-25f,      // tie between 0 and the smallest subnormal: 0
                         0x1p-25f * 3,  // tie between 1 and 2 subnormal units: 2
                         0x1.ff8p-15f,  // rounds up into the smallest normal
                         6.1e-5f,
                         -3.14159f,
                         0.1f,
                         1e-8f,
                         1234.5678f,
                         -0.0f};
  for (float x : cases) EXPECT_EQ(f32_to_f16(x), nearest_half(x)) << x;
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);
  EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
  const uint16_t nan = f32_to_f16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
  EXPECT_EQ(f32_to_f16(std::bit_cast<float>(0x7f800001u)) & 0x3ff, 0x200);  // signalling nan stays nan
}

TEST(HalfFloat, F32ToF16MatchesExhaustiveSearchOnRandomValues) {
  uint32_t state = 99;
  for (int i = 0; i < 300; ++i) {
    state = state * 1664525u + 1013904223u;
    // Exponents spread over the subnormal..overflow range of halves.
    const float x = std::ldexp(static_cast<float>(state >> 8) / static_cast<float>(1 << 24),
                               static_cast<int>(state % 44) - 27) *
                    ((state & 1) ? -1.0f : 1.0f);
    ASSERT_EQ(f32_to_f16(x), nearest_half(x)) << x;
  }
}

TEST(HalfFloat, Bf16) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc000), -2.0f);
  EXPECT_TRUE(std::isinf(bf16_to_f32(0x7f80)));
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
  EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));  // subnormal
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie to even (down)
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie to even (up)
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);  // max float rounds to inf
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f800001u)) & 0x7fc0, 0x7fc0);
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<uint16_t>(i);
    if (std::isnan(bf16_to_f32(h))) continue;
    ASSERT_EQ(f32_to_bf16(bf16_to_f32(h)), h) << i;
  }
}

}  // namespace
}  // namespace dbsa
