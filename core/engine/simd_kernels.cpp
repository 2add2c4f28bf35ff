#include "engine/simd_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/quant_kernels.h"
#include "engine/vector_exp.h"
#include "model/dequantize.h"

namespace dbsa::simd {

using detail::exp256;
using detail::exp512;

namespace {

float bf16_scalar(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

__attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  const __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}

__attribute__((target("avx2,fma"))) float dot_f32_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) double dot_f32_f64_avx2(const float* a, const float* b, int64_t n) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
    acc0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(va)),
                           _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), acc0);
    acc1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(va, 1)),
                           _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1)), acc1);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(acc0, acc1));
  double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

__attribute__((target("avx2,fma,f16c"))) __m256 load8_as_f32(const uint16_t* a) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
}
__attribute__((target("avx2,fma"))) __m256 load8_as_f32(const float* a) {
  return _mm256_loadu_ps(a);
}
float as_f32(uint16_t h) {
  return f16_to_f32(h);
}
float as_f32(float x) {
  return x;
}

// dot_f16's order, for F16 values and (dot_f32_f16_order) for F32 ones: two accumulators over 16 values.
template <class T>
__attribute__((target("avx2,fma,f16c"))) float dot_two_acc_avx2(const T* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load8_as_f32(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(load8_as_f32(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8_as_f32(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += as_f32(a[i]) * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) __m256 bf16x8_to_f32(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

__attribute__((target("avx2,fma"))) float dot_bf16_avx2(const uint16_t* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(bf16x8_to_f32(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(bf16x8_to_f32(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(bf16x8_to_f32(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += bf16_scalar(a[i]) * b[i];
  return s;
}

__attribute__((target("avx2,fma,f16c"))) void f16_row_avx2(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

__attribute__((target("avx2,fma,f16c"))) void f32_to_f16_row_avx2(const float* src, uint16_t* dst,
                                                                  int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(
        reinterpret_cast<__m128i*>(dst + i),
        _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

__attribute__((target("avx2,fma"))) void bf16_row_avx2(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, bf16x8_to_f32(src + i));
  for (; i < n; ++i) dst[i] = bf16_scalar(src[i]);
}

__attribute__((target("avx2,fma,f16c"))) void axpy_f16_avx2(float a, const uint16_t* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(
        y + i, _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))),
                               _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * f16_to_f32(x[i]);
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

// Scalar forms of max_rows / exp_shift_rows over columns [c0, cols): the fallback (c0 = 0) and the
// vector kernels' column tail.
void max_rows_scalar(const float* x, int64_t n_rows, int64_t cols, int64_t c0, float* m) {
  for (int64_t j = 0; j < n_rows; ++j)
    for (int64_t c = c0; c < cols; ++c) m[c] = x[j * cols + c] > m[c] ? x[j * cols + c] : m[c];
}

void exp_shift_rows_scalar(float* x, int64_t n_rows, int64_t cols, int64_t c0, const float* shift,
                           float* sums) {
  for (int64_t j = 0; j < n_rows; ++j)
    for (int64_t c = c0; c < cols; ++c) {
      const float e = x[j * cols + c] = std::exp(x[j * cols + c] - shift[c]);
      if (sums) sums[c] += e;
    }
}

// Full 8-column chunks in vectors; a column tail (never reached by attention, which pads its score
// rows to whole vectors: AMD's masked stores are slow) in scalar code.
// Columns [c0, cols); c0 = 0 but after the 16-column form below.
__attribute__((target("avx2,fma"))) void max_rows_avx2(const float* x, int64_t n_rows, int64_t cols, float* m,
                                                       int64_t c0 = 0) {
  int64_t c = c0;
  for (; c + 8 <= cols; c += 8) {
    __m256 vm = _mm256_loadu_ps(m + c);
    for (int64_t j = 0; j < n_rows; ++j) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + j * cols + c));
    _mm256_storeu_ps(m + c, vm);
  }
  max_rows_scalar(x, n_rows, cols, c, m);
}

// Columns [c0, cols); c0 = 0 but after the 16-column form below.
__attribute__((target("avx2,fma"))) void exp_shift_rows_avx2(float* x, int64_t n_rows, int64_t cols,
                                                             const float* shift, float* sums,
                                                             int64_t c0 = 0) {
  int64_t c = c0;
  for (; c + 8 <= cols; c += 8) {
    const __m256 vs = _mm256_loadu_ps(shift + c);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < n_rows; ++j) {
      float* p = x + j * cols + c;
      const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(p), vs));
      _mm256_storeu_ps(p, e);
      acc = _mm256_add_ps(acc, e);
    }
    if (sums) _mm256_storeu_ps(sums + c, _mm256_add_ps(_mm256_loadu_ps(sums + c), acc));
  }
  exp_shift_rows_scalar(x, n_rows, cols, c, shift, sums);
}

__attribute__((target("avx2,fma"))) void silu_mul_avx2(const float* g, const float* u, float* out, int64_t n,
                                                       int64_t i0 = 0) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = i0;
  for (; i + 8 <= n; i += 8) {
    const __m256 vg = _mm256_loadu_ps(g + i);
    const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), vg));
    _mm256_storeu_ps(out + i,
                     _mm256_mul_ps(_mm256_div_ps(vg, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) out[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

__attribute__((target("avx2,fma"))) void exp_lanes_avx2(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp256(_mm256_loadu_ps(x + i)));
  if (i == n) return;
  alignas(32) float tail[8] = {};
  std::copy(x + i, x + n, tail);
  _mm256_store_ps(tail, exp256(_mm256_load_ps(tail)));
  std::copy(tail, tail + (n - i), y + i);
}

// The 16-lane forms of max_rows, exp_shift_rows and silu_mul: each column's (element's) operations are
// the 8-lane forms', and exp512 gives exp256's bits, so the results do not depend on the width (the
// fixtures' reference-order cases hold SiLU to the bit either way). They leave the last 8-column
// (8-element) chunk and the tail to the 8-lane forms.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DBSA_AVX512 __attribute__((target("avx512f,avx512dq,avx2,fma")))

DBSA_AVX512 void max_rows_avx512(const float* x, int64_t n_rows, int64_t cols, float* m) {
  int64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    __m512 vm = _mm512_loadu_ps(m + c);
    for (int64_t j = 0; j < n_rows; ++j) vm = _mm512_max_ps(vm, _mm512_loadu_ps(x + j * cols + c));
    _mm512_storeu_ps(m + c, vm);
  }
  max_rows_avx2(x, n_rows, cols, m, c);
}

DBSA_AVX512 void exp_shift_rows_avx512(float* x, int64_t n_rows, int64_t cols, const float* shift,
                                       float* sums) {
  int64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    const __m512 vs = _mm512_loadu_ps(shift + c);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t j = 0; j < n_rows; ++j) {
      float* p = x + j * cols + c;
      const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(p), vs));
      _mm512_storeu_ps(p, e);
      acc = _mm512_add_ps(acc, e);
    }
    if (sums) _mm512_storeu_ps(sums + c, _mm512_add_ps(_mm512_loadu_ps(sums + c), acc));
  }
  exp_shift_rows_avx2(x, n_rows, cols, shift, sums, c);
}

DBSA_AVX512 void silu_mul_avx512(const float* g, const float* u, float* out, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 vg = _mm512_loadu_ps(g + i);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), vg));
    _mm512_storeu_ps(out + i,
                     _mm512_mul_ps(_mm512_div_ps(vg, _mm512_add_ps(one, e)), _mm512_loadu_ps(u + i)));
  }
  silu_mul_avx2(g, u, out, n, i);
}

#pragma GCC diagnostic pop

bool detect_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

}  // namespace

bool has_avx2() {
  static const bool yes = detect_avx2();
  return yes;
}

bool use_avx512() {
  static const bool yes = best_isa() >= Isa::Avx512Vnni;  // best_isa is what this CPU runs, capped
  return yes;
}

bool prefetch_weight_rows() {
  static const bool yes = [] {
    if (const char* set = std::getenv("DBSA_WEIGHT_PREFETCH"); set && *set) {
      const std::string_view v(set);
      if (v != "0" && v != "1")
        throw std::invalid_argument("DBSA_WEIGHT_PREFETCH=" + std::string(v) + ": expected 0 or 1");
      return v == "1";
    }
    __builtin_cpu_init();
    return __builtin_cpu_is("intel") != 0;
  }();
  return yes;
}

bool has_avx512_vnni() {
  static const bool yes = has_avx2() && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
  return yes;
}

float dot_f32(const float* a, const float* b, int64_t n) {
  if (has_avx2()) return dot_f32_avx2(a, b, n);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

double dot_f32_f64(const float* a, const float* b, int64_t n) {
  if (has_avx2()) return dot_f32_f64_avx2(a, b, n);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

namespace {

// dot_f16 and dot_f32_f16_order: one body, so that the two give the same bits on the same values on
// either path.
template <class T>
float dot_two_acc(const T* a, const float* b, int64_t n) {
  if (has_avx2()) return dot_two_acc_avx2(a, b, n);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += as_f32(a[i]) * b[i];
  return s;
}

}  // namespace

float dot_f16(const uint16_t* a, const float* b, int64_t n) {
  return dot_two_acc(a, b, n);
}

float dot_f32_f16_order(const float* a, const float* b, int64_t n) {
  return dot_two_acc(a, b, n);
}

float dot_bf16(const uint16_t* a, const float* b, int64_t n) {
  if (has_avx2()) return dot_bf16_avx2(a, b, n);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += bf16_scalar(a[i]) * b[i];
  return s;
}

void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  if (has_avx2()) return f16_row_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n) {
  if (has_avx2()) return f32_to_f16_row_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  if (has_avx2()) return bf16_row_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_scalar(src[i]);
}

void max_rows(const float* x, int64_t n_rows, int64_t cols, float* m) {
  if (use_avx512()) return max_rows_avx512(x, n_rows, cols, m);
  if (has_avx2()) return max_rows_avx2(x, n_rows, cols, m);
  max_rows_scalar(x, n_rows, cols, 0, m);
}

void exp_shift_rows(float* x, int64_t n_rows, int64_t cols, const float* shift, float* sums) {
  if (use_avx512()) return exp_shift_rows_avx512(x, n_rows, cols, shift, sums);
  if (has_avx2()) return exp_shift_rows_avx2(x, n_rows, cols, shift, sums);
  exp_shift_rows_scalar(x, n_rows, cols, 0, shift, sums);
}

void exp_lanes(const float* x, float* y, int64_t n) {
  if (has_avx2()) return exp_lanes_avx2(x, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  if (use_avx512()) return silu_mul_avx512(gate, up, out, n);
  if (has_avx2()) return silu_mul_avx2(gate, up, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) {
  if (has_avx2()) return axpy_f16_avx2(a, x, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] += a * f16_to_f32(x[i]);
}

void axpy(float a, const float* x, float* y, int64_t n) {
  if (has_avx2()) return axpy_avx2(a, x, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scale(float a, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

}  // namespace dbsa::simd
