// The bulk F16 conversion must agree with dbsa::f16_to_f32 on every one of the 65536 inputs.
#include "cache/f16_convert.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "model/dequantize.h"

namespace dbsa {
namespace {

void expect_all_inputs_match(void (*convert)(const void*, float*, std::size_t), const char* name) {
  // Stored one byte off alignment and with a length that is not a multiple of the SIMD width.
  const std::size_t n = 65536 + 5;
  std::vector<unsigned char> raw(2 * n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto h = static_cast<uint16_t>(i % 65536);
    std::memcpy(raw.data() + 1 + 2 * i, &h, 2);
  }
  std::vector<float> out(n);
  convert(raw.data() + 1, out.data(), n);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float want = f16_to_f32(static_cast<uint16_t>(i % 65536));
    const bool same = std::isnan(want) ? std::isnan(out[i]) && std::signbit(out[i]) == std::signbit(want)
                                       : std::bit_cast<uint32_t>(out[i]) == std::bit_cast<uint32_t>(want);
    if (!same && mismatches++ < 5) ADD_FAILURE() << name << ": half 0x" << std::hex << (i % 65536);
  }
  EXPECT_EQ(mismatches, 0u) << name;
}

TEST(F16Convert, EveryHalfValueMatchesTheReferenceConversion) {
  std::printf("bulk F16 conversion path on this machine: %s\n", f16_convert_path());
  expect_all_inputs_match(&f16_to_f32_n, "dispatching path");
  expect_all_inputs_match(&f16_to_f32_n_table, "table path");
}

TEST(F16Convert, StridedRowsEqualRowByRowConversion) {
  // Rows of 64 and 70 values (a tail that is not a multiple of 8) taken every 200 values, as one head's
  // slice of K rows is taken from a block.
  for (const std::size_t cols : {std::size_t{64}, std::size_t{70}}) {
    const std::size_t n_rows = 37, stride = 200;
    std::vector<uint16_t> src(n_rows * stride);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint16_t>((i * 2654435761u) >> 7);
    std::vector<float> got(n_rows * cols, -1.0f), want(n_rows * cols, -2.0f);
    f16_to_f32_rows(src.data(), stride, got.data(), n_rows, cols);
    for (std::size_t r = 0; r < n_rows; ++r)
      f16_to_f32_n(src.data() + r * stride, want.data() + r * cols, cols);
    for (std::size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << "cols " << cols << " at " << i;
  }
}

}  // namespace
}  // namespace dbsa
