#pragma once
// ggml's weight blocks unpacked into 256-bit registers (AVX2 level), for every kernel family that reads
// them: engine/quant_kernels.cpp (AVX2 and AVX-512 kernels) and engine/quant_kernels_amx.cpp (tile
// panels and one-token kernels). Callers compiled for a superset of these instruction sets inline them.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "engine/quant_blocks.h"
#include "model/k_quant_scales.h"

namespace dbsa {
namespace {  // per translation unit: registers cross these calls, never a library boundary

#define DBSA_UNPACK __attribute__((target("avx2,fma,f16c")))

DBSA_UNPACK inline __m256i load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// The sum of 8 int32 lanes (integers: any order is exact).
DBSA_UNPACK inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1)));
}

// A 32-value block's values as signed bytes, in value order (values() in engine/quant_blocks.h).
DBSA_UNPACK inline __m256i values_avx2(const BlockQ8_0& b) {
  return load32(b.qs);
}
DBSA_UNPACK inline __m256i nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0xf);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m4), _mm_and_si128(raw, m4));
}
// Sixteen bytes of IQ4 nibbles as their 32 values: each nibble looks its value up in kIq4NlValues.
DBSA_UNPACK inline __m256i iq4_values_avx2(const uint8_t* qs) {
  const __m256i table =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kIq4NlValues)));
  return _mm256_shuffle_epi8(table, nibbles(qs));
}
DBSA_UNPACK inline __m256i values_avx2(const BlockIQ4_NL& b) {
  return iq4_values_avx2(b.qs);
}
DBSA_UNPACK inline __m256i values_avx2(const BlockQ4_0& b) {
  return _mm256_sub_epi8(nibbles(b.qs), _mm256_set1_epi8(8));
}
// 16 where bit j of the four qh bytes is set, per byte j.
DBSA_UNPACK inline __m256i fifth_bits(const uint8_t* qh_bytes) {
  // Byte j gets bit j of qh: each byte takes the qh byte holding its bit, then tests it.
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int32_t>(qh)),
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(16));
}
DBSA_UNPACK inline __m256i values_avx2(const BlockQ5_0& b) {
  return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), _mm256_set1_epi8(16));
}
// Q4_1's and Q5_1's q, unsigned.
DBSA_UNPACK inline __m256i values_avx2(const BlockQ4_1& b) {
  return nibbles(b.qs);
}
DBSA_UNPACK inline __m256i values_avx2(const BlockQ5_1& b) {
  return _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh));
}

// Chunk c of a Q4_K/Q5_K block (64 values) as unsigned values below
// 32: low and high nibbles, with Q5_K's fifth bit from qh.
template <bool kFifthBit, class Block>
DBSA_UNPACK inline void qk_chunk(const Block& b, __m256i qh, int c, __m256i& lo, __m256i& hi) {
  const __m256i m4 = _mm256_set1_epi8(0xf), one = _mm256_set1_epi8(1);
  const __m256i q4 = load32(b.qs + 32 * c);
  lo = _mm256_and_si256(q4, m4);
  hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
  if constexpr (kFifthBit) {
    // Bit k of each qh byte, moved to bit 4: the 16-bit shifts bring in bits of the neighbouring byte
    // only above bit 0, which the mask drops.
    lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
    hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
  }
}

// Half `half` (128 values) of a block with 16-value sub-blocks (Q6_K, Q3_K, Q2_K) as four 32-value groups
// of unsigned values (the weight is value - kSubBlockOffset), with each group's scales as int16 lanes
// (lanes 0..7: values 0..15, scale 2g; lanes 8..15: values 16..31, scale 2g+1), as the wide and tile
// kernels take them. Q2_K also has a min per sub-block (kSubBlockMins: sub_block_mins).
struct SubBlockHalf {
  __m256i q[4], scales[4];
};
template <class Block>
constexpr int kSubBlockOffset = std::is_same_v<Block, BlockQ6_K>   ? 32
                                : std::is_same_v<Block, BlockQ3_K> ? 4
                                                                   : 0;
template <class Block>
constexpr bool kSubBlockMins = std::is_same_v<Block, BlockQ2_K>;

DBSA_UNPACK inline SubBlockHalf sub_block_half(const BlockQ6_K& b, int half) {
  const __m256i m4 = _mm256_set1_epi8(0xf), m2 = _mm256_set1_epi8(3);
  const uint8_t* ql = b.ql + 64 * half;
  const int8_t* sc = b.scales + 8 * half;
  const __m256i a = load32(ql), c = load32(ql + 32), h = load32(b.qh + 32 * half);
  const __m256i low[4] = {_mm256_and_si256(a, m4), _mm256_and_si256(c, m4),
                          _mm256_and_si256(_mm256_srli_epi16(a, 4), m4),
                          _mm256_and_si256(_mm256_srli_epi16(c, 4), m4)};
  SubBlockHalf out;
  for (int g = 0; g < 4; ++g) {
    const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2 * g), m2), 4);
    out.q[g] = _mm256_or_si256(low[g], high);
    out.scales[g] = _mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 1]), _mm_set1_epi16(sc[2 * g]));
  }
  return out;
}

// Q2_K's values 0..3 (two bits each), its scales the low nibbles.
DBSA_UNPACK inline SubBlockHalf sub_block_half(const BlockQ2_K& b, int half) {
  const __m256i m2 = _mm256_set1_epi8(3);
  const __m256i q = load32(b.qs + 32 * half);
  SubBlockHalf out;
  for (int g = 0; g < 4; ++g) {
    out.q[g] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * g), m2);
    const int j = 8 * half + 2 * g;
    out.scales[g] =
        _mm256_set_m128i(_mm_set1_epi16(b.scales[j + 1] & 0xf), _mm_set1_epi16(b.scales[j] & 0xf));
  }
  return out;
}

// Σ min·bsum of a Q2_K block against a Q8_K block in eight int32 lanes, lane k: sub-blocks 2k and 2k+1
// (the mins are the scales' high nibbles).
DBSA_UNPACK inline __m256i sub_block_mins(const BlockQ2_K& b, const BlockQ8_K& x) {
  const __m128i mins = _mm_and_si128(
      _mm_srli_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)), 4), _mm_set1_epi8(0xf));
  return _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load32(x.bsums));
}

// Q3_K's values 0..7: the two low bits, and 4 where the hmask bit is set. The 16-bit shifts bring bits of
// the neighbouring byte in only above the bits the masks keep.
DBSA_UNPACK inline SubBlockHalf sub_block_half(const BlockQ3_K& b, int half) {
  const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
  const __m256i q = load32(b.qs + 32 * half), hm = load32(b.hmask);
  SubBlockHalf out;
  for (int g = 0; g < 4; ++g) {
    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * g), m2);
    const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, 4 * half + g), one), 2);
    out.q[g] = _mm256_or_si256(low, high);
    const int j = 8 * half + 2 * g;
    out.scales[g] = _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(q3_k_scale(j + 1, b.scales))),
                                     _mm_set1_epi16(static_cast<int16_t>(q3_k_scale(j, b.scales))));
  }
  return out;
}

#undef DBSA_UNPACK

}  // namespace
}  // namespace dbsa
