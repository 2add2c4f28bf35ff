#include "cache/f16_convert.h"

#include <cstring>
#include <memory>

#include "model/dequantize.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define DBSA_HAVE_F16C_PATH 1
#endif

namespace dbsa {
namespace {

const float* f16_table() {
  static const std::unique_ptr<float[]> table = [] {
    auto t = std::make_unique<float[]>(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = f16_to_f32(static_cast<uint16_t>(h));
    return t;
  }();
  return table.get();
}

#ifdef DBSA_HAVE_F16C_PATH
__attribute__((target("avx,f16c"))) void convert_f16c(const unsigned char* src, float* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h;
    std::memcpy(&h, src + 2 * i, sizeof h);  // unaligned load without aliasing casts
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  if (i < n) f16_to_f32_n_table(src + 2 * i, dst + i, n - i);
}

__attribute__((target("avx,f16c"))) void convert_rows_f16c(const unsigned char* src, std::size_t stride,
                                                           float* dst, std::size_t n_rows, std::size_t cols) {
  for (std::size_t r = 0; r < n_rows; ++r) convert_f16c(src + 2 * r * stride, dst + r * cols, cols);
}

bool cpu_has_f16c() {
  // F16C is CPUID.1:ECX bit 29, read directly: clang 14's __builtin_cpu_supports does not know "f16c".
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
  }();
  return has;
}
#endif

}  // namespace

void f16_to_f32_n_table(const void* src, float* dst, std::size_t n) {
  const float* table = f16_table();
  const auto* p = static_cast<const unsigned char*>(src);
  for (std::size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    dst[i] = table[h];
  }
}

void f16_to_f32_n(const void* src, float* dst, std::size_t n) {
#ifdef DBSA_HAVE_F16C_PATH
  if (cpu_has_f16c()) {
    convert_f16c(static_cast<const unsigned char*>(src), dst, n);
    return;
  }
#endif
  f16_to_f32_n_table(src, dst, n);
}

void f16_to_f32_rows(const void* src, std::size_t src_row_stride, float* dst, std::size_t n_rows,
                     std::size_t cols) {
  const auto* p = static_cast<const unsigned char*>(src);
#ifdef DBSA_HAVE_F16C_PATH
  if (cpu_has_f16c()) {
    convert_rows_f16c(p, src_row_stride, dst, n_rows, cols);
    return;
  }
#endif
  for (std::size_t r = 0; r < n_rows; ++r)
    f16_to_f32_n_table(p + 2 * r * src_row_stride, dst + r * cols, cols);
}

const char* f16_convert_path() {
#ifdef DBSA_HAVE_F16C_PATH
  if (cpu_has_f16c()) return "f16c";
#endif
  return "table";
}

}  // namespace dbsa
