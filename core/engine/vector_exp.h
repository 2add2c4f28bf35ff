#pragma once
// The engine's 8-lane single-precision exp (and its 16-lane twin exp512), shared by the element-wise kernels
// (engine/simd_kernels.cpp) and the reference-order attention (engine/attention_reference_order.cpp). Callers
// are compiled for AVX2+FMA per function and only run where the CPU has them (simd::has_avx2()).
#include <immintrin.h>

#include <cstdint>

namespace dbsa::simd::detail {

inline __attribute__((target("avx2,fma"))) __m256 splat(float v) {
  return _mm256_set1_ps(v);
}
inline __attribute__((target("avx2,fma"))) __m256 bits_ps(__m256i v) {
  return _mm256_castsi256_ps(v);
}
inline __attribute__((target("avx2,fma"))) __m256i ps_bits(__m256 v) {
  return _mm256_castps_si256(v);
}

// exp for 8 lanes, the algorithm of Arm's optimized-routines single-precision exp, which is also what the
// reference implementation's CPU backend computes (llama.cpp's vector expf): n = round(x/ln2) by adding
// 1.5·2^23, r = x - n·ln2 in two parts, exp(r) - 1 ≈ r·P(r) of degree 5, and 2^n built in the exponent
// bits. Taking its exact operation order makes SiLU (and the softmax) give the reference's bits, which a
// quantized model's next 8-bit rounding would otherwise amplify (measured on k256-q4_k_m: every SiLU row
// differed in its last bits with the previous polynomial). Lanes with |n| > 126 scale in two steps so
// large and small arguments reach inf and 0 cleanly.
inline __attribute__((target("avx2,fma"))) __m256 exp256(__m256 x) {
  const __m256 shift = splat(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, splat(0x1.715476p+0f), shift);  // n in z's low mantissa bits
  const __m256 n = _mm256_sub_ps(z, shift);
  const __m256 r = _mm256_fnmadd_ps(n, splat(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, splat(0x1.62e4p-1f), x));
  const __m256i e = _mm256_slli_epi32(ps_bits(z), 23);
  const __m256 scale = bits_ps(_mm256_add_epi32(e, ps_bits(splat(1.0f))));  // 2^n when it is normal
  const __m256 abs_n = _mm256_andnot_ps(splat(-0.0f), n);
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 hi = _mm256_fmadd_ps(splat(0x1.0e4020p-7f), r, splat(0x1.573e2ep-5f));
  const __m256 lo = _mm256_fmadd_ps(splat(0x1.555e66p-3f), r, splat(0x1.fffdb6p-2f));
  const __m256 poly =
      _mm256_fmadd_ps(_mm256_fmadd_ps(hi, r2, lo), r2, _mm256_mul_ps(splat(0x1.ffffecp-1f), r));
  const __m256 far = _mm256_cmp_ps(abs_n, splat(126.0f), _CMP_GT_OQ);
  if (!_mm256_movemask_ps(far)) return _mm256_fmadd_ps(poly, scale, scale);
  // 2^n = s1 · s2 with both factors representable; past |n| > 192 the result is s1², inf or 0.
  const __m256i neg = _mm256_and_si256(ps_bits(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                       _mm256_set1_epi32(static_cast<int32_t>(0x82000000u)));
  const __m256 s1 = bits_ps(_mm256_add_epi32(neg, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = bits_ps(_mm256_sub_epi32(e, neg));
  const __m256 very_far = _mm256_cmp_ps(abs_n, splat(192.0f), _CMP_GT_OQ);
  const __m256 split = _mm256_mul_ps(_mm256_fmadd_ps(s2, poly, s2), s1);
  const __m256 near_or_split = _mm256_blendv_ps(_mm256_fmadd_ps(scale, poly, scale), split, far);
  return _mm256_blendv_ps(near_or_split, _mm256_mul_ps(s1, s1), very_far);
}

// exp256's operations in 16 lanes, for callers compiled for AVX-512 and run where simd::use_avx512() (the
// reference-order attention's softmax, the streamed softmax and SiLU): each lane's value is the same bits
// as exp256's.
#define DBSA_EXP512_TARGET __attribute__((target("avx512f,avx512dq,avx2,fma")))
inline DBSA_EXP512_TARGET __m512 exp512(__m512 x) {
  const __m512 shift = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), shift);
  const __m512 n = _mm512_sub_ps(z, shift);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  // The zero-masked form of the shift: the plain one trips GCC 12's -Wmaybe-uninitialized in its header.
  const __m512i e = _mm512_maskz_slli_epi32(0xFFFF, _mm512_castps_si512(z), 23);
  const __m512 scale = _mm512_castsi512_ps(_mm512_add_epi32(e, _mm512_castps_si512(_mm512_set1_ps(1.0f))));
  const __m512 abs_n = _mm512_abs_ps(n);
  const __m512 r2 = _mm512_mul_ps(r, r);
  const __m512 hi = _mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), r, _mm512_set1_ps(0x1.573e2ep-5f));
  const __m512 lo = _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), r, _mm512_set1_ps(0x1.fffdb6p-2f));
  const __m512 poly =
      _mm512_fmadd_ps(_mm512_fmadd_ps(hi, r2, lo), r2, _mm512_mul_ps(_mm512_set1_ps(0x1.ffffecp-1f), r));
  const __mmask16 far = _mm512_cmp_ps_mask(abs_n, _mm512_set1_ps(126.0f), _CMP_GT_OQ);
  if (!far) return _mm512_fmadd_ps(poly, scale, scale);
  const __mmask16 le0 = _mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ);
  const __m512i neg = _mm512_maskz_mov_epi32(le0, _mm512_set1_epi32(static_cast<int32_t>(0x82000000u)));
  const __m512 s1 = _mm512_castsi512_ps(_mm512_add_epi32(neg, _mm512_set1_epi32(0x7f000000)));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_sub_epi32(e, neg));
  const __mmask16 very_far = _mm512_cmp_ps_mask(abs_n, _mm512_set1_ps(192.0f), _CMP_GT_OQ);
  const __m512 split = _mm512_mul_ps(_mm512_fmadd_ps(s2, poly, s2), s1);
  const __m512 near_or_split = _mm512_mask_blend_ps(far, _mm512_fmadd_ps(scale, poly, scale), split);
  return _mm512_mask_blend_ps(very_far, near_or_split, _mm512_mul_ps(s1, s1));
}

}  // namespace dbsa::simd::detail
