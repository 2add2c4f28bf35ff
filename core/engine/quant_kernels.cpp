// Built with -ffp-contract=off (core/engine/CMakeLists.txt): a fused multiply-add in one twin and a
// multiply then add in the other would round differently, and the twins must agree to the bit.
#include "engine/quant_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "engine/simd_kernels.h"
#include "model/dequantize.h"

namespace dbsa {

namespace {

constexpr int64_t kQK = 256;  // values per K-quant super-block

// Weight block layouts (ggml's; the GGUF file's bytes are read through these).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];  // value j: low nibble of qs[j] (j < 16) or high nibble of qs[j-16], minus 8
};
struct BlockQ8_0W {
  uint16_t d;
  int8_t qs[32];
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 six-bit scales and mins (scale_min below)
  uint8_t qs[128];     // each 64 values: low nibbles of 32 bytes, then their high nibbles
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];  // fifth bit: bit 2c (low nibbles) and 2c+1 (high nibbles) of qh[l] for 64-value chunk c
  uint8_t qs[128];
};
struct BlockQ6_K {
  uint8_t ql[128];  // low 4 bits
  uint8_t qh[64];   // high 2 bits
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ8_0W) == 34 && sizeof(BlockQ4_K) == 144 &&
                  sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210,
              "ggml's block layouts");

// Scale and min of sub-block j (0..7) of a Q4_K/Q5_K block.
inline void scale_min(int j, const uint8_t* q, int32_t& sc, int32_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Σ over the 8 sub-blocks of min · (sum of the activations it covers): the part of a Q4_K/Q5_K dot
// product the mins contribute, exact.
inline int32_t mins_dot(const uint8_t* scales, const int16_t* bsums) {
  int32_t sum = 0;
  for (int j = 0; j < 8; ++j) {
    int32_t sc, m;
    scale_min(j, scales, sc, m);
    sum += m * (bsums[2 * j] + bsums[2 * j + 1]);
  }
  return sum;
}

// ---- activation quantizers ----

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[b].d = f32_to_f16(d);
    for (int i = 0; i < 32; ++i) y[b].qs[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
  }
}

void quantize_q8_k(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < kQK; ++i) {
      const float ax = std::fabs(x[i]);
      if (ax > amax) {
        amax = ax;
        max = x[i];
      }
    }
    BlockQ8_K& o = y[b];
    if (amax == 0.0f) {
      o.d = 0.0f;
      std::memset(o.qs, 0, sizeof o.qs);
      std::memset(o.bsums, 0, sizeof o.bsums);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int i = 0; i < kQK; ++i)
      o.qs[i] = static_cast<int8_t>(std::min(127.0f, std::nearbyint(iscale * x[i])));
    for (int j = 0; j < 16; ++j) {
      int32_t s = 0;
      for (int i = 0; i < 16; ++i) s += o.qs[16 * j + i];
      o.bsums[j] = static_cast<int16_t>(s);
    }
    o.d = 1.0f / iscale;
  }
}

// ---- portable kernels ----

float dot_q8_0_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ8_0W*>(wv);
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += w[b].qs[i] * x[b].qs[i];
    sum += f16_to_f32(w[b].d) * f16_to_f32(x[b].d) * static_cast<float>(s);
  }
  return sum;
}

float dot_q4_0_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ4_0*>(wv);
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int32_t s = 0;
    for (int i = 0; i < 16; ++i)
      s += ((w[b].qs[i] & 0xf) - 8) * x[b].qs[i] + ((w[b].qs[i] >> 4) - 8) * x[b].qs[i + 16];
    sum += f16_to_f32(w[b].d) * f16_to_f32(x[b].d) * static_cast<float>(s);
  }
  return sum;
}

// Q4_K, and Q5_K (kFifthBit: qh adds bit 4 to each value). Per block: the values' sums against their
// activations, weighted by the eight sub-block scales, minus the mins' part.
template <bool kFifthBit>
float dot_qk_portable(const void* wv, const void* xv, int64_t n) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const int8_t* q8 = x[b].qs;
    int32_t s = 0;
    for (int c = 0; c < 4; ++c) {
      int32_t sc_lo, sc_hi, m;
      scale_min(2 * c, w[b].scales, sc_lo, m);
      scale_min(2 * c + 1, w[b].scales, sc_hi, m);
      int32_t lo = 0, hi = 0;
      for (int l = 0; l < 32; ++l) {
        int32_t v_lo = w[b].qs[32 * c + l] & 0xf, v_hi = w[b].qs[32 * c + l] >> 4;
        if constexpr (kFifthBit) {
          const int32_t h = w[b].qh[l] >> (2 * c);
          v_lo |= (h & 1) << 4;
          v_hi |= (h & 2) << 3;
        }
        lo += v_lo * q8[64 * c + l];
        hi += v_hi * q8[64 * c + 32 + l];
      }
      s += sc_lo * lo + sc_hi * hi;
    }
    const int32_t mins = mins_dot(w[b].scales, x[b].bsums);
    sum += f16_to_f32(w[b].d) * x[b].d * static_cast<float>(s);
    sum -= f16_to_f32(w[b].dmin) * x[b].d * static_cast<float>(mins);
  }
  return sum;
}

float dot_q6_k_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ6_K*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t s = 0;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = w[b].ql + 64 * half;
      const uint8_t* qh = w[b].qh + 32 * half;
      const int8_t* sc = w[b].scales + 8 * half;
      const int8_t* q8 = x[b].qs + 128 * half;
      for (int g = 0; g < 4; ++g)      // 32-value groups: bits of ql[l] or ql[l+32], qh bit pair g
        for (int k = 0; k < 2; ++k) {  // 16-value sub-blocks, one scale each
          int32_t p = 0;
          for (int l = 16 * k; l < 16 * k + 16; ++l) {
            const int32_t low = (g & 1 ? ql[l + 32] : ql[l]) >> (g & 2 ? 4 : 0) & 0xf;
            const int32_t q = (low | ((qh[l] >> (2 * g)) & 3) << 4) - 32;
            p += q * q8[32 * g + l];
          }
          s += sc[2 * g + k] * p;
        }
    }
    sum += f16_to_f32(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

// ---- AVX2 kernels: the same integer sums, eight or sixteen lanes at a time ----

__attribute__((target("avx2"))) inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Σ x·y over 32 signed bytes, in 8 int32 lanes: maddubs takes an unsigned operand, so |x| meets
// y·sign(x) (|x| <= 128, |y| <= 127: the int16 pair sums cannot saturate).
__attribute__((target("avx2"))) inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

__attribute__((target("avx2"))) float dot_q8_0_avx2(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ8_0W*>(wv);
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    const __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const int32_t s = hsum_i32(dot_i8(qw, qx));
    sum += f16_to_f32(w[b].d) * f16_to_f32(x[b].d) * static_cast<float>(s);
  }
  return sum;
}

__attribute__((target("avx2"))) float dot_q4_0_avx2(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ4_0*>(wv);
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  const __m128i m4 = _mm_set1_epi8(0xf);
  const __m256i eight = _mm256_set1_epi8(8);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    const __m128i lo = _mm_and_si128(raw, m4), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m4);
    const __m256i qw = _mm256_sub_epi8(_mm256_set_m128i(hi, lo), eight);
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const int32_t s = hsum_i32(dot_i8(qw, qx));
    sum += f16_to_f32(w[b].d) * f16_to_f32(x[b].d) * static_cast<float>(s);
  }
  return sum;
}

// Σ over one 64-value chunk of a Q4_K/Q5_K block: (low values · their activations)·sc_lo + (high
// values · theirs)·sc_hi, in 8 int32 lanes. lo/hi hold unsigned values below 32.
__attribute__((target("avx2"))) inline __m256i chunk_k(__m256i lo, __m256i hi, const int8_t* q8,
                                                       int32_t sc_lo, int32_t sc_hi) {
  const __m256i y0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8));
  const __m256i y1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 32));
  const __m256i p0 =
      _mm256_madd_epi16(_mm256_maddubs_epi16(lo, y0), _mm256_set1_epi16(static_cast<int16_t>(sc_lo)));
  const __m256i p1 =
      _mm256_madd_epi16(_mm256_maddubs_epi16(hi, y1), _mm256_set1_epi16(static_cast<int16_t>(sc_hi)));
  return _mm256_add_epi32(p0, p1);
}

template <bool kFifthBit>
__attribute__((target("avx2"))) float dot_qk_avx2(const void* wv, const void* xv, int64_t n) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i m4 = _mm256_set1_epi8(0xf), one = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    __m256i acc = _mm256_setzero_si256();
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFifthBit) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qh));
    for (int c = 0; c < 4; ++c) {
      int32_t sc_lo, sc_hi, m;
      scale_min(2 * c, w[b].scales, sc_lo, m);
      scale_min(2 * c + 1, w[b].scales, sc_hi, m);
      const __m256i q4 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * c));
      __m256i lo = _mm256_and_si256(q4, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
      if constexpr (kFifthBit) {
        // Bit k of each qh byte, moved to bit 4: the 16-bit shifts bring in bits of the neighbouring
        // byte only above bit 0, which the mask drops.
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
        hi = _mm256_or_si256(hi,
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
      }
      acc = _mm256_add_epi32(acc, chunk_k(lo, hi, x[b].qs + 64 * c, sc_lo, sc_hi));
    }
    const int32_t s = hsum_i32(acc);
    const int32_t mins = mins_dot(w[b].scales, x[b].bsums);
    sum += f16_to_f32(w[b].d) * x[b].d * static_cast<float>(s);
    sum -= f16_to_f32(w[b].dmin) * x[b].d * static_cast<float>(mins);
  }
  return sum;
}

__attribute__((target("avx2"))) float dot_q6_k_avx2(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockQ6_K*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i m4 = _mm256_set1_epi8(0xf), m2 = _mm256_set1_epi8(3), m32 = _mm256_set1_epi8(32);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    __m256i acc = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = w[b].ql + 64 * half;
      const int8_t* sc = w[b].scales + 8 * half;
      const int8_t* q8 = x[b].qs + 128 * half;
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qh + 32 * half));
      const __m256i low[4] = {_mm256_and_si256(a, m4), _mm256_and_si256(c, m4),
                              _mm256_and_si256(_mm256_srli_epi16(a, 4), m4),
                              _mm256_and_si256(_mm256_srli_epi16(c, 4), m4)};
      for (int g = 0; g < 4; ++g) {
        const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2 * g), m2), 4);
        const __m256i q = _mm256_or_si256(low[g], high);  // 0..63; the value is q - 32
        const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 32 * g));
        const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y), _mm256_maddubs_epi16(m32, y));
        // int16 lanes 0..7 cover values 0..15 (scale 2g), lanes 8..15 values 16..31 (scale 2g+1).
        const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 1]), _mm_set1_epi16(sc[2 * g]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p16, scales));
      }
    }
    const int32_t s = hsum_i32(acc);
    sum += f16_to_f32(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

}  // namespace

ActivationBlocks activation_blocks(WeightType t) {
  switch (t) {
    case WeightType::Q8_0:
    case WeightType::Q4_0:
      return ActivationBlocks::Q8_0;
    case WeightType::Q4_K:
    case WeightType::Q5_K:
    case WeightType::Q6_K:
      return ActivationBlocks::Q8_K;
    default:
      throw std::invalid_argument("activation_blocks: " + std::string(weight_type_name(t)) +
                                  " is not a quantized type");
  }
}

int64_t activation_block_elems(ActivationBlocks b) {
  return b == ActivationBlocks::Q8_0 ? 32 : kQK;
}

int64_t activation_row_bytes(ActivationBlocks b, int64_t n) {
  return b == ActivationBlocks::Q8_0 ? n / 32 * static_cast<int64_t>(sizeof(BlockQ8_0))
                                     : n / kQK * static_cast<int64_t>(sizeof(BlockQ8_K));
}

void quantize_activations(ActivationBlocks b, const float* x, void* dst, int64_t n) {
  if (n % activation_block_elems(b) != 0)
    throw std::invalid_argument("quantize_activations: " + std::to_string(n) +
                                " values are not whole blocks of " +
                                std::to_string(activation_block_elems(b)));
  if (b == ActivationBlocks::Q8_0)
    quantize_q8_0(x, static_cast<BlockQ8_0*>(dst), n);
  else
    quantize_q8_k(x, static_cast<BlockQ8_K*>(dst), n);
}

void dequantize_activations(ActivationBlocks b, const void* src, float* y, int64_t n) {
  if (b == ActivationBlocks::Q8_0) {
    const auto* q = static_cast<const BlockQ8_0*>(src);
    for (int64_t i = 0; i < n / 32; ++i) {
      const float d = f16_to_f32(q[i].d);
      for (int j = 0; j < 32; ++j) y[32 * i + j] = d * static_cast<float>(q[i].qs[j]);
    }
    return;
  }
  const auto* q = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i)
    for (int j = 0; j < kQK; ++j) y[kQK * i + j] = q[i].d * static_cast<float>(q[i].qs[j]);
}

QuantDot quant_dot(WeightType t, Isa isa) {
  if (isa == Isa::Avx2 && !simd::has_avx2()) throw std::invalid_argument("quant_dot: this CPU has no AVX2");
  const bool wide = isa == Isa::Avx2;
  switch (t) {
    case WeightType::Q8_0:
      return wide ? dot_q8_0_avx2 : dot_q8_0_portable;
    case WeightType::Q4_0:
      return wide ? dot_q4_0_avx2 : dot_q4_0_portable;
    case WeightType::Q4_K:
      return wide ? dot_qk_avx2<false> : dot_qk_portable<false>;
    case WeightType::Q5_K:
      return wide ? dot_qk_avx2<true> : dot_qk_portable<true>;
    case WeightType::Q6_K:
      return wide ? dot_q6_k_avx2 : dot_q6_k_portable;
    default:
      throw std::invalid_argument("quant_dot: " + std::string(weight_type_name(t)) +
                                  " is not a quantized type");
  }
}

QuantDot quant_dot(WeightType t) {
  return quant_dot(t, simd::has_avx2() ? Isa::Avx2 : Isa::Portable);
}

}  // namespace dbsa
