// Built with -ffp-contract=off (core/engine/CMakeLists.txt): every fused multiply-add is written out
// (std::fma, _mm256_fmadd_ps), so the compiler cannot fuse one twin's multiply and add and not the
// other's; the twins must agree to the bit.
#include "engine/quant_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/activation_rounding.h"
#include "engine/quant_blocks.h"
#include "engine/quant_kernels_amx.h"
#include "engine/quant_unpack.h"
#include "engine/simd_kernels.h"
#include "model/dequantize.h"
#include "model/k_quant_scales.h"

namespace dbsa {

namespace {

constexpr int64_t kQK = 256;  // values per K-quant super-block

// ---- activation quantizers ----

// Q8_0, and Q8_1 with s = F16(d·Σq) of the float d.
template <class Block>
void quantize_q8(const float* x, Block* y, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[b].d = f32_to_f16(d);
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) sum += y[b].qs[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    if constexpr (std::is_same_v<Block, BlockQ8_1>) y[b].s = f32_to_f16(d * static_cast<float>(sum));
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

// ---- the arithmetic both twins share ----
// Every kernel follows the reference's AVX2 kernels (ggml-cpu-quants.c of the llama.cpp the fixtures in
// ../shared/fixtures were made with) operation for operation: per weight block, eight exact int32 lane
// sums (lane l: values 4l..4l+3 of each 32-value group, weighted by their sub-block scales), each
// multiplied by the block's float scale and added to a float lane with one fused multiply-add; the
// eight lanes are added in hsum8's order at the end, and the K-quants' mins part is added last. So the
// logits of a quantized model match the reference's matmuls to the bit, not just to the float noise
// that flips later 8-bit roundings and argmaxes (tests/engine/test_reference_fixtures.cpp).

// (v0+v4 + v2+v6) + (v1+v5 + v3+v7), the reference's horizontal sum.
inline float hsum8(const float* v) {
  const float r0 = v[4] + v[0], r1 = v[5] + v[1], r2 = v[6] + v[2], r3 = v[7] + v[3];
  return (r0 + r2) + (r1 + r3);
}

// ---- portable kernels: one weight row against one activation row ----

// The 32-value formats. Q4_1 and Q5_1 (unsigned q, a min per block) meet Q8_1 blocks and also sum the
// mins' part m_w·s_x in one float, added after hsum8, as the reference does.
template <class Block>
float dot_q0_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const ActivationBlockOf<Block>*>(xv);
  float acc[8] = {}, summs = 0.0f;
  int8_t q[32];
  for (int64_t b = 0; b < n / 32; ++b) {
    values(w[b], q);
    if constexpr (kBlockHasMin<Block>) summs = std::fma(f16_to_f32(w[b].m), f16_to_f32(x[b].s), summs);
    const float d = f16_to_f32(w[b].d) * f16_to_f32(x[b].d);
    for (int l = 0; l < 8; ++l) {
      int32_t s = 0;
      for (int i = 4 * l; i < 4 * l + 4; ++i) s += q[i] * x[b].qs[i];
      acc[l] = std::fma(d, static_cast<float>(s), acc[l]);
    }
  }
  if constexpr (kBlockHasMin<Block>) return hsum8(acc) + summs;
  return hsum8(acc);
}

// IQ4_XS: eight 32-value sub-blocks with 6-bit scales; per super-block eight exact lane sums, one FMA.
float dot_iq4_xs_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockIQ4_XS*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc[8] = {};
  int8_t q[32];
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t s[8] = {};
    for (int sb = 0; sb < 8; ++sb) {
      iq4_values(w[b].qs + 16 * sb, q);
      const int32_t ls = iq4_xs_scale(sb, w[b].scales_l, w[b].scales_h);
      for (int i = 0; i < 32; ++i) s[i / 4] += ls * q[i] * x[b].qs[32 * sb + i];
    }
    const float d = f16_to_f32(w[b].d) * x[b].d;
    for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(s[l]), acc[l]);
  }
  return hsum8(acc);
}

// Q4_K, and Q5_K (kFifthBit: qh adds bit 4 to each value). The mins' part: Q4_K's in four float lanes
// (lane k: sub-blocks 2k, 2k+1), Q5_K's in one float, as the reference adds them.
template <bool kFifthBit>
float dot_qk_portable(const void* wv, const void* xv, int64_t n) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc[8] = {}, acc_m[4] = {}, summs = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const int8_t* q8 = x[b].qs;
    int32_t sc[8], m[8], s[8] = {};
    for (int j = 0; j < 8; ++j) k_quant_scale_min(j, w[b].scales, sc[j], m[j]);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        int32_t v_lo = w[b].qs[32 * c + l] & 0xf, v_hi = w[b].qs[32 * c + l] >> 4;
        if constexpr (kFifthBit) {
          const int32_t h = w[b].qh[l] >> (2 * c);
          v_lo |= (h & 1) << 4;
          v_hi |= (h & 2) << 3;
        }
        s[l / 4] += sc[2 * c] * v_lo * q8[64 * c + l] + sc[2 * c + 1] * v_hi * q8[64 * c + 32 + l];
      }
    const float d = x[b].d * f16_to_f32(w[b].d), dmin = -x[b].d * f16_to_f32(w[b].dmin);
    for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(s[l]), acc[l]);
    const int16_t* bs = x[b].bsums;
    if constexpr (kFifthBit) {
      int32_t mins = 0;
      for (int j = 0; j < 8; ++j) mins += m[j] * (bs[2 * j] + bs[2 * j + 1]);
      summs = std::fma(dmin, static_cast<float>(mins), summs);
    } else {
      for (int k = 0; k < 4; ++k) {
        const int32_t p =
            m[2 * k] * (bs[4 * k] + bs[4 * k + 1]) + m[2 * k + 1] * (bs[4 * k + 2] + bs[4 * k + 3]);
        acc_m[k] = std::fma(dmin, static_cast<float>(p), acc_m[k]);
      }
    }
  }
  if constexpr (kFifthBit) return hsum8(acc) + summs;
  return hsum8(acc) + ((acc_m[0] + acc_m[2]) + (acc_m[1] + acc_m[3]));
}

// The K-quants with 16-value sub-blocks (Q6_K, Q3_K, Q2_K: sub_block_value in engine/quant_blocks.h); Q2_K's
// mins are added per block before its scaled sums, into the same lanes (lane k: sub-blocks 2k, 2k+1), as
// the reference adds them.

template <class Block>
float dot_sub_block_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc[8] = {};
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t s[8] = {}, sc[16];
    sub_block_scales(w[b], sc);
    if constexpr (kSubBlockMins<Block>) {
      const float dmin = -x[b].d * f16_to_f32(w[b].dmin);
      const int16_t* bs = x[b].bsums;
      for (int k = 0; k < 8; ++k) {
        const int32_t m =
            (w[b].scales[2 * k] >> 4) * bs[2 * k] + (w[b].scales[2 * k + 1] >> 4) * bs[2 * k + 1];
        acc[k] = std::fma(dmin, static_cast<float>(m), acc[k]);
      }
    }
    for (int h = 0; h < 2; ++h)
      for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l)
          s[l / 4] +=
              sc[8 * h + 2 * g + l / 16] * sub_block_value(w[b], h, g, l) * x[b].qs[128 * h + 32 * g + l];
    const float d = x[b].d * f16_to_f32(w[b].d);
    for (int l = 0; l < 8; ++l) acc[l] = std::fma(d, static_cast<float>(s[l]), acc[l]);
  }
  return hsum8(acc);
}

// The portable kernels of QuantGemm: one weight row against one activation row at a time.
template <float (*Dot)(const void*, const void*, int64_t)>
void gemm_portable(const void* wv, int64_t ws, int n_w, const void* xv, int64_t xs, int n_x, int64_t n,
                   float* out, int64_t os) {
  const auto* w = static_cast<const std::byte*>(wv);
  const auto* x = static_cast<const std::byte*>(xv);
  for (int t = 0; t < n_x; ++t)
    for (int r = 0; r < n_w; ++r) out[t * os + r] = Dot(w + r * ws, x + t * xs, n);
}

// ---- AVX2 kernels: the same sums, each weight block unpacked once for up to four activation rows ----
#define DBSA_AVX2 __attribute__((target("avx2,fma,f16c")))

// The lanes added in hsum8's order.
DBSA_AVX2 inline float hsum8(__m256 v) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  return _mm_cvtss_f32(_mm_add_ss(r, _mm_movehdup_ps(r)));
}

// Σ x·y over 32 signed bytes, in 8 int32 lanes (lane l: bytes 4l..4l+3): maddubs takes an unsigned
// operand, so |x| meets y·sign(x) (|x| <= 128, |y| <= 127: the int16 pair sums cannot saturate).
DBSA_AVX2 inline __m256i dot_i8(__m256i abs_x, __m256i x, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_x, _mm256_sign_epi8(y, x)), _mm256_set1_epi16(1));
}

// m_w·s_x of a weight block and its activation block fused into summs: the mins' part of Q4_1 and Q5_1
// (nothing for the 32-value formats without a min).
template <class Block>
DBSA_AVX2 inline void add_min(const Block& wb, const ActivationBlockOf<Block>& xb, float& summs) {
  if constexpr (kBlockHasMin<Block>) summs = std::fma(_cvtsh_ss(wb.m), _cvtsh_ss(xb.s), summs);
}

// The 32-value formats' values plus kBias<Block>, unsigned: Q4_0's nibbles (bias 8) and Q5_0's with the
// fifth bit (16); Q4_1's and Q5_1's q are unsigned as stored (0); Q8_0 and IQ4_NL take q xor 0x80 (128).
template <class Block>
constexpr int kBias = kBlockHasMin<Block>                ? 0
                      : std::is_same_v<Block, BlockQ4_0> ? 8
                      : std::is_same_v<Block, BlockQ5_0> ? 16
                                                         : 128;
// Below 128, maddubs can take those unsigned values against y as they are (pair sums at most
// 2·31·127: no int16 saturation) and the bias's share kBias·(lane sums of y), the same for every weight
// row, is taken off each lane: the same exact int32 lane sums as |q| against y·sign(q), with one
// subtraction per (block, token) instead of two sign operations and the unpacking's own subtraction.
template <class Block>
constexpr bool kUnsignedMaddubs = kBias<Block> < 128;
template <class Block>
DBSA_AVX2 inline __m256i small_unsigned_values(const Block& b) {
  if constexpr (std::is_same_v<Block, BlockQ4_0>)
    return nibbles(b.qs);
  else if constexpr (std::is_same_v<Block, BlockQ5_0>)
    return _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh));
  else
    return values_avx2(b);  // Q4_1, Q5_1
}

// What the 32-value kernel prepares once per tile of up to four activation rows, for all the weight rows of
// a gemm call:
// - the activation blocks' F16 scales as floats, xd[4·b + t]: a (block, token) pair's scale d_w·d_x is then
//   one lane of a 4-lane product per block and a broadcast load, instead of an insert, a conversion, a
//   multiply and a broadcast per pair (the same float product). On an AMD Zen 2 that took the AVX2 Q8_0
//   prefill 340 -> 390 tokens/s (docs/BENCHMARKS.md, "On an AMD Zen 2");
// - for the kUnsignedMaddubs formats with a bias, kBias·(lane sums of y), eight int32 lanes at
//   ys + 8·(4·b + t).
template <class Block>
struct Q0TilePrep {
  const float* xd = nullptr;
  const int32_t* ys = nullptr;

  DBSA_AVX2 void prepare(const std::byte* x, int64_t xs, int n_x, int64_t n) {
    using XBlock = ActivationBlockOf<Block>;
    constexpr bool kBiasSums = kUnsignedMaddubs<Block> && kBias<Block> != 0;
    thread_local std::vector<float> scales;
    thread_local std::vector<int32_t> sums;
    const int64_t n_blocks = n / 32;
    scales.resize(static_cast<size_t>(4 * n_blocks));
    if constexpr (kBiasSums) sums.resize(static_cast<size_t>(32 * n_blocks));
    const __m256i bias = _mm256_set1_epi8(static_cast<char>(kBias<Block>)), one = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < n_blocks; ++b)
      for (int t = 0; t < n_x; ++t) {
        const XBlock& xb = reinterpret_cast<const XBlock*>(x + t * xs)[b];
        scales[static_cast<size_t>(4 * b + t)] = _cvtsh_ss(xb.d);
        if constexpr (kBiasSums)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums.data() + 8 * (4 * b + t)),
                              _mm256_madd_epi16(_mm256_maddubs_epi16(bias, load32(xb.qs)), one));
      }
    xd = scales.data();
    ys = sums.data();
  }
};

template <class Block>  // dot_q0_portable's order
struct Q0Avx2 {
  using TilePrep = Q0TilePrep<Block>;

  // T activation rows against one weight row; p: the rows' TilePrep. The lane sums: the formats with a
  // bias below 128 give maddubs their unsigned values (kUnsignedMaddubs), the others take |q| against
  // y·sign(q).
  template <int T>
  DBSA_AVX2 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out,
                            const TilePrep& p) {
    using XBlock = ActivationBlockOf<Block>;
    const auto* w = static_cast<const Block*>(wv);
    const __m256i one = _mm256_set1_epi16(1);
    __m256 acc[T];
    float summs[T] = {};
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b) {
      // The weight block as maddubs takes it: unsigned values u, or |q| (u) with q for the signs.
      __m256i u, q = _mm256_setzero_si256();
      if constexpr (kUnsignedMaddubs<Block>) {
        u = small_unsigned_values(w[b]);
      } else {
        q = values_avx2(w[b]);
        u = _mm256_sign_epi8(q, q);
      }
      alignas(16) float dd[4];
      _mm_store_ps(dd, _mm_mul_ps(_mm_set1_ps(_cvtsh_ss(w[b].d)), _mm_loadu_ps(p.xd + 4 * b)));
      for (int t = 0; t < T; ++t) {
        const XBlock& xb = reinterpret_cast<const XBlock*>(x + t * xs)[b];
        add_min(w[b], xb, summs[t]);
        const __m256i y = load32(xb.qs);
        __m256i lanes;
        if constexpr (kUnsignedMaddubs<Block>) {
          lanes = _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), one);
          if constexpr (kBias<Block> != 0) lanes = _mm256_sub_epi32(lanes, load32(p.ys + 8 * (4 * b + t)));
        } else {
          lanes = dot_i8(u, q, y);
        }
        acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(dd + t), _mm256_cvtepi32_ps(lanes), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) {
      out[t] = hsum8(acc[t]);
      if constexpr (kBlockHasMin<Block>) out[t] += summs[t];
    }
  }
};

// IQ4_XS, in dot_iq4_xs_portable's order.
struct Iq4xsAvx2 {
  template <int T>
  DBSA_AVX2 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out) {
    const auto* w = static_cast<const BlockIQ4_XS*>(wv);
    __m256 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kQK; ++b) {
      __m256i sum[T];
      for (int t = 0; t < T; ++t) sum[t] = _mm256_setzero_si256();
      for (int sb = 0; sb < 8; ++sb) {
        const __m256i q = iq4_values_avx2(w[b].qs + 16 * sb), aq = _mm256_sign_epi8(q, q);
        const __m256i ls =
            _mm256_set1_epi16(static_cast<int16_t>(iq4_xs_scale(sb, w[b].scales_l, w[b].scales_h)));
        for (int t = 0; t < T; ++t) {
          const __m256i y = load32(reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b].qs + 32 * sb);
          sum[t] = _mm256_add_epi32(sum[t],
                                    _mm256_madd_epi16(_mm256_maddubs_epi16(aq, _mm256_sign_epi8(y, q)), ls));
        }
      }
      const float dw = _cvtsh_ss(w[b].d);
      for (int t = 0; t < T; ++t) {
        const float d = dw * reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b].d;
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum[t]), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) out[t] = hsum8(acc[t]);
  }
};

DBSA_AVX2 inline __m128i qk_mins_vector(const int32_t* m) {
  return _mm_setr_epi16(static_cast<int16_t>(m[0]), static_cast<int16_t>(m[1]), static_cast<int16_t>(m[2]),
                        static_cast<int16_t>(m[3]), static_cast<int16_t>(m[4]), static_cast<int16_t>(m[5]),
                        static_cast<int16_t>(m[6]), static_cast<int16_t>(m[7]));
}

// One token's mins part of a block, added as the reference adds it: a 4-lane FMA (lane k: sub-blocks
// 2k, 2k+1) for Q4_K, a scalar FMA of the whole sum for Q5_K.
template <bool kFifthBit>
DBSA_AVX2 inline void qk_add_mins(__m128i mins, const BlockQ8_K& xb, float dmw, __m128& acc_m, float& summs) {
  const float dmin = -xb.d * dmw;
  const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xb.bsums)),
                                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb.bsums + 8)));
  const __m128i prod = _mm_madd_epi16(mins, pairs);
  if constexpr (kFifthBit) {
    const __m128i h = _mm_hadd_epi32(_mm_hadd_epi32(prod, prod), prod);
    summs = std::fma(dmin, static_cast<float>(_mm_cvtsi128_si32(h)), summs);
  } else {
    acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), acc_m);
  }
}

// A token's result: its eight float lanes in hsum8's order, then the mins part.
template <bool kFifthBit>
DBSA_AVX2 inline float qk_total(__m256 acc, __m128 acc_m, float summs) {
  if constexpr (kFifthBit) return hsum8(acc) + summs;
  __m128 r = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return hsum8(acc) + _mm_cvtss_f32(r);
}

template <bool kFifthBit>
struct QkAvx2 {
  template <int T>
  DBSA_AVX2 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out) {
    using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
    const auto* w = static_cast<const Block*>(wv);
    __m256 acc[T];
    __m128 acc_m[T];
    float summs[T];
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      acc_m[t] = _mm_setzero_ps();
      summs[t] = 0.0f;
    }
    for (int64_t b = 0; b < n / kQK; ++b) {
      int32_t sc[8], m[8];
      for (int j = 0; j < 8; ++j) k_quant_scale_min(j, w[b].scales, sc[j], m[j]);
      __m256i sum[T];
      for (int t = 0; t < T; ++t) sum[t] = _mm256_setzero_si256();
      __m256i qh = _mm256_setzero_si256();
      if constexpr (kFifthBit) qh = load32(w[b].qh);
      for (int c = 0; c < 4; ++c) {
        __m256i lo, hi;
        qk_chunk<kFifthBit>(w[b], qh, c, lo, hi);
        const __m256i sc_lo = _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c]));
        const __m256i sc_hi = _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c + 1]));
        for (int t = 0; t < T; ++t) {
          const int8_t* q8 = reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b].qs + 64 * c;
          const __m256i p0 = _mm256_madd_epi16(sc_lo, _mm256_maddubs_epi16(lo, load32(q8)));
          const __m256i p1 = _mm256_madd_epi16(sc_hi, _mm256_maddubs_epi16(hi, load32(q8 + 32)));
          sum[t] = _mm256_add_epi32(sum[t], _mm256_add_epi32(p0, p1));
        }
      }
      const float dw = _cvtsh_ss(w[b].d), dmw = _cvtsh_ss(w[b].dmin);
      const __m128i mins = qk_mins_vector(m);
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& xb = reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b];
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * dw), _mm256_cvtepi32_ps(sum[t]), acc[t]);
        qk_add_mins<kFifthBit>(mins, xb, dmw, acc_m[t], summs[t]);
      }
    }
    for (int t = 0; t < T; ++t) out[t] = qk_total<kFifthBit>(acc[t], acc_m[t], summs[t]);
  }
};

template <class Block>  // Q6_K, Q3_K, Q2_K
struct SubBlockAvx2 {
  template <int T>
  DBSA_AVX2 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out) {
    const auto* w = static_cast<const Block*>(wv);
    const __m256i offset = _mm256_set1_epi8(kSubBlockOffset<Block>);
    __m256 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kQK; ++b) {
      __m256i sum[T];
      for (int t = 0; t < T; ++t) sum[t] = _mm256_setzero_si256();
      for (int half = 0; half < 2; ++half) {
        const SubBlockHalf v = sub_block_half(w[b], half);
        for (int g = 0; g < 4; ++g) {
          const __m256i q = v.q[g], scales = v.scales[g];
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b].qs + 128 * half;
            const __m256i y = load32(q8 + 32 * g);
            __m256i p16 = _mm256_maddubs_epi16(q, y);
            if constexpr (kSubBlockOffset<Block> != 0)
              p16 = _mm256_sub_epi16(p16, _mm256_maddubs_epi16(offset, y));
            sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(scales, p16));
          }
        }
      }
      const float dw = _cvtsh_ss(w[b].d);
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& xb = reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b];
        if constexpr (kSubBlockMins<Block>) {
          const float dmin = -xb.d * _cvtsh_ss(w[b].dmin);
          acc[t] =
              _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(sub_block_mins(w[b], xb)), acc[t]);
        }
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * dw), _mm256_cvtepi32_ps(sum[t]), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) out[t] = hsum8(acc[t]);
  }
};

// What a kernel without a TilePrep prepares per tile of activation rows: nothing.
struct NoTilePrep {
  DBSA_AVX2 void prepare(const std::byte*, int64_t, int, int64_t) {}
};
template <class Kernel>
struct TilePrepOf {
  using type = NoTilePrep;
};
template <class Kernel>
requires requires {
  typename Kernel::TilePrep;
}
struct TilePrepOf<Kernel> {
  using type = typename Kernel::TilePrep;
};

template <class Kernel, int T, class Prep>
DBSA_AVX2 inline void run_tile(const void* w, const std::byte* x, int64_t xs, int64_t n, float* out,
                               const Prep& prep) {
  if constexpr (std::is_same_v<Prep, NoTilePrep>)
    Kernel::template run<T>(w, x, xs, n, out);
  else
    Kernel::template run<T>(w, x, xs, n, out, prep);
}

// The AVX2 kernels of QuantGemm: tiles of up to four activation rows, each prepared once (TilePrepOf) and
// then run against every weight row.
template <class Kernel>
DBSA_AVX2 void gemm_avx2(const void* wv, int64_t ws, int n_w, const void* xv, int64_t xs, int n_x, int64_t n,
                         float* out, int64_t os) {
  const auto* x = static_cast<const std::byte*>(xv);
  typename TilePrepOf<Kernel>::type prep;
  for (int t = 0; t < n_x; t += 4) {
    const std::byte* xt = x + t * xs;
    const int m = std::min(4, n_x - t);
    prep.prepare(xt, xs, m, n);
    for (int r = 0; r < n_w; ++r) {
      const void* w = static_cast<const std::byte*>(wv) + r * ws;
      float tile[4];
      switch (m) {
        case 4:
          run_tile<Kernel, 4>(w, xt, xs, n, tile, prep);
          break;
        case 3:
          run_tile<Kernel, 3>(w, xt, xs, n, tile, prep);
          break;
        case 2:
          run_tile<Kernel, 2>(w, xt, xs, n, tile, prep);
          break;
        default:
          run_tile<Kernel, 1>(w, xt, xs, n, tile, prep);
          break;
      }
      for (int k = 0; k < m; ++k) out[(t + k) * os + r] = tile[k];
    }
  }
}

// ---- AVX2 activation quantizers: the portable ones' values, eight at a time ----
// max, x·id and round-to-nearest-even are exact per element, so lanes give the portable bits.

DBSA_AVX2 inline float max_abs(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  __m128 r = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  r = _mm_max_ps(r, _mm_movehl_ps(r, r));
  return _mm_cvtss_f32(_mm_max_ss(r, _mm_movehdup_ps(r)));
}

// round(x[0..31]·scale) as int32 lanes, packed to 32 int8 in order.
DBSA_AVX2 inline __m256i round_pack32(const float* x, __m256 scale, __m256i* ints = nullptr) {
  __m256i v[4];
  for (int k = 0; k < 4; ++k) {
    const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), scale);
    v[k] = _mm256_cvtps_epi32(_mm256_round_ps(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (ints) ints[k] = v[k];
  }
  const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
  // The packs work per 128-bit lane: dword k of the result holds values 4·perm[k]..; undo it.
  return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

template <class Block>  // quantize_q8's values
DBSA_AVX2 void quantize_q8_avx2(const float* x, Block* y, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    const float amax = max_abs(x, 32);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[b].d = f32_to_f16(d);
    __m256i ints[4];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), round_pack32(x, _mm256_set1_ps(id), ints));
    if constexpr (std::is_same_v<Block, BlockQ8_1>) {
      const __m256i s =
          _mm256_add_epi32(_mm256_add_epi32(ints[0], ints[1]), _mm256_add_epi32(ints[2], ints[3]));
      y[b].s = f32_to_f16(d * static_cast<float>(hsum_i32(s)));
    }
  }
}

DBSA_AVX2 void quantize_q8_k_avx2(const float* x, BlockQ8_K* y, int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ8_K& o = y[b];
    const float amax = max_abs(x, kQK);
    if (amax == 0.0f) {
      std::memset(&o, 0, sizeof o);
      continue;
    }
    float max = 0.0f;  // the first value of largest magnitude, as the portable scan finds it
    for (int i = 0; i < kQK; i += 8) {
      const int hit = _mm256_movemask_ps(
          _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (hit) {
        max = x[i + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    for (int c = 0; c < kQK / 32; ++c) {
      __m256i ints[4];
      // |iscale·x| <= 127 except where rounding up reaches 128 (the portable min(127, ·)); only the
      // maximum's own sign can get there, at +127·(1 + ulp): clamp as the portable kernel does.
      __m256i q = round_pack32(x + 32 * c, _mm256_set1_ps(iscale), ints);
      q = _mm256_min_epi8(q, _mm256_set1_epi8(127));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.qs + 32 * c), q);
      for (int h = 0; h < 2; ++h) {
        const __m256i s = _mm256_add_epi32(_mm256_min_epi32(ints[2 * h], _mm256_set1_epi32(127)),
                                           _mm256_min_epi32(ints[2 * h + 1], _mm256_set1_epi32(127)));
        o.bsums[2 * c + h] = static_cast<int16_t>(hsum_i32(s));
      }
    }
    o.d = 1.0f / iscale;
  }
}

// ---- AVX-512 VNNI: the 32-value formats, a tile of up to four weight rows by four activation rows ----
// vpdpbusd multiplies unsigned by signed bytes and adds each lane's four products to an int32 lane in
// one instruction, lanes laid out as maddubs+madd lay them out. The signed weights go in as q + 128;
// the 128·Σy that adds is taken off by starting each lane at -dpbusd(128, y). Each 512-bit register
// holds two (row, token) pairs of the same block in its 256-bit halves, so every lane still sums what
// the AVX2 kernel's lane sums, and the halves' float lanes are added in hsum8's order at the end.
// GCC 12 warns that the AVX-512 intrinsics' own _mm512_undefined_* placeholders are uninitialized
// (a known false positive of the headers under a target attribute); -Werror must not trip on it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DBSA_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

// A block's values plus kBias<Block>, as the unsigned bytes vpdpbusd takes: the nibbles themselves
// for Q4_0 (bias 8) and Q5_0 (bias 16, the fifth bit set from a mask), q xor 0x80 for Q8_0 and IQ4_NL;
// Q4_1's and Q5_1's q are unsigned already (bias 0). kBias is defined with the AVX2 kernels, which take
// the small ones the same way.

DBSA_AVX512 inline __m256i unsigned_values(const BlockQ8_0& b) {
  return _mm256_xor_si256(load32(b.qs), _mm256_set1_epi8(static_cast<char>(0x80)));
}
DBSA_AVX512 inline __m256i unsigned_values(const BlockIQ4_NL& b) {
  return _mm256_xor_si256(values_avx2(b), _mm256_set1_epi8(static_cast<char>(0x80)));
}
template <class Block>  // Q4_0, Q4_1, Q5_1: as the AVX2 kernels take them
DBSA_AVX512 inline __m256i unsigned_values(const Block& b) {
  return small_unsigned_values(b);
}
DBSA_AVX512 inline __m256i unsigned_values(const BlockQ5_0& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return _mm256_or_si256(nibbles(b.qs), _mm256_maskz_mov_epi8(qh, _mm256_set1_epi8(16)));
}

// -kBias·(lane sums of y): the start that takes the bias's share off the lane sums.
template <class Block>
DBSA_AVX512 inline __m512i bias_start(__m512i y) {
  if constexpr (kBias<Block> == 0) return _mm512_setzero_si512();
  return _mm512_sub_epi32(
      _mm512_setzero_si512(),
      _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(static_cast<char>(kBias<Block>)), y));
}
template <class Block>
DBSA_AVX512 inline __m256i bias_start(__m256i y) {
  if constexpr (kBias<Block> == 0) return _mm256_setzero_si256();
  return _mm256_sub_epi32(
      _mm256_setzero_si256(),
      _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(static_cast<char>(kBias<Block>)), y));
}

// The 32-value formats; Q4_1 and Q5_1 also add m_w·s_x per block into one float per (row, token), as
// dot_q0_portable does.
template <class Block>
struct Q0Vnni {
  using XBlock = ActivationBlockOf<Block>;
  // R weight rows by P pairs of activation rows: each register holds one row's block against two tokens.
  template <int R, int P>
  DBSA_AVX512 static void tokens(const std::byte* w, int64_t ws, const std::byte* x, int64_t xs, int64_t n,
                                 float* out, int64_t os) {
    __m512 acc[R][P];
    float summs[R][2 * P] = {};
    for (int r = 0; r < R; ++r)
      for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b) {
      __m512i qu[R];
      __m512 dw[R];
      for (int r = 0; r < R; ++r) {
        const Block& wb = reinterpret_cast<const Block*>(w + r * ws)[b];
        qu[r] = _mm512_broadcast_i64x4(unsigned_values(wb));
        dw[r] = _mm512_set1_ps(_cvtsh_ss(wb.d));
        for (int t = 0; t < 2 * P; ++t)
          add_min(wb, reinterpret_cast<const XBlock*>(x + t * xs)[b], summs[r][t]);
      }
      for (int p = 0; p < P; ++p) {
        const XBlock& x0 = reinterpret_cast<const XBlock*>(x + (2 * p) * xs)[b];
        const XBlock& x1 = reinterpret_cast<const XBlock*>(x + (2 * p + 1) * xs)[b];
        const __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(load32(x0.qs)), load32(x1.qs), 1);
        const __m512i start = bias_start<Block>(y);
        const __m512 dx = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(_cvtsh_ss(x0.d))),
                                             _mm256_set1_ps(_cvtsh_ss(x1.d)), 1);
        for (int r = 0; r < R; ++r) {
          const __m512 s = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(start, qu[r], y));
          acc[r][p] = _mm512_fmadd_ps(_mm512_mul_ps(dw[r], dx), s, acc[r][p]);
        }
      }
    }
    for (int r = 0; r < R; ++r)
      for (int p = 0; p < P; ++p) {
        out[(2 * p) * os + r] = hsum8(_mm512_castps512_ps256(acc[r][p])) + summs[r][2 * p];
        out[(2 * p + 1) * os + r] = hsum8(_mm512_extractf32x8_ps(acc[r][p], 1)) + summs[r][2 * p + 1];
      }
  }

  // RP pairs of weight rows against one activation row (decode): each register holds two rows' blocks.
  template <int RP>
  DBSA_AVX512 static void rows(const std::byte* w, int64_t ws, const std::byte* x, int64_t n, float* out) {
    __m512 acc[RP];
    float summs[2 * RP] = {};
    for (int p = 0; p < RP; ++p) acc[p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b) {
      const XBlock& xb = reinterpret_cast<const XBlock*>(x)[b];
      const __m512i y = _mm512_broadcast_i64x4(load32(xb.qs));
      const __m512i start = bias_start<Block>(y);
      const __m512 dx = _mm512_set1_ps(_cvtsh_ss(xb.d));
      for (int p = 0; p < RP; ++p) {
        const Block& w0 = reinterpret_cast<const Block*>(w + (2 * p) * ws)[b];
        const Block& w1 = reinterpret_cast<const Block*>(w + (2 * p + 1) * ws)[b];
        add_min(w0, xb, summs[2 * p]);
        add_min(w1, xb, summs[2 * p + 1]);
        const __m512i qu =
            _mm512_inserti64x4(_mm512_castsi256_si512(unsigned_values(w0)), unsigned_values(w1), 1);
        const __m512 dw = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(_cvtsh_ss(w0.d))),
                                             _mm256_set1_ps(_cvtsh_ss(w1.d)), 1);
        const __m512 s = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(start, qu, y));
        acc[p] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dx), s, acc[p]);
      }
    }
    for (int p = 0; p < RP; ++p) {
      out[2 * p] = hsum8(_mm512_castps512_ps256(acc[p])) + summs[2 * p];
      out[2 * p + 1] = hsum8(_mm512_extractf32x8_ps(acc[p], 1)) + summs[2 * p + 1];
    }
  }
};

// One weight row against one activation row (decode), its blocks in order, in 256-bit registers: the AVX2
// kernel's lanes and float order (Q0Avx2::run<1>) with vpdpbusd for its sign/maddubs/madd. A decode step
// streams every weight from memory once, and the CPU's prefetchers follow one row read front to back:
// reading two or four rows' blocks in turn (Q0Vnni::rows) streamed ~2.5-3× slower on an AMD Zen 4 (SmolLM
// Q8_0 decode 90 tokens/s on 2 threads against the AVX2 kernel's 122; docs/BENCHMARKS.md, "On an AMD
// Zen 4").
template <class Block>
DBSA_AVX512 float vnni_one_row(const std::byte* w, const std::byte* x, int64_t n) {
  using XBlock = ActivationBlockOf<Block>;
  const auto* wb = reinterpret_cast<const Block*>(w);
  const auto* xb = reinterpret_cast<const XBlock*>(x);
  __m256 acc = _mm256_setzero_ps();
  float summ = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    add_min(wb[b], xb[b], summ);
    const __m256i y = load32(xb[b].qs);
    const __m256 s = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(bias_start<Block>(y), unsigned_values(wb[b]), y));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(wb[b].d) * _cvtsh_ss(xb[b].d)), s, acc);
  }
  float out = hsum8(acc);
  if constexpr (kBlockHasMin<Block>) out += summ;
  return out;
}

template <class Block, int R>
DBSA_AVX512 void vnni_rows(const std::byte* w, int64_t ws, const std::byte* x, int64_t xs, int n_x, int64_t n,
                           float* out, int64_t os) {
  int t = 0;
  for (; t + 4 <= n_x; t += 4)
    Q0Vnni<Block>::template tokens<R, 2>(w, ws, x + t * xs, xs, n, out + t * os, os);
  if (t + 2 <= n_x) {
    Q0Vnni<Block>::template tokens<R, 1>(w, ws, x + t * xs, xs, n, out + t * os, os);
    t += 2;
  }
  if (t == n_x) return;
  // An odd last activation row: rows in pairs, and a last odd row read front to back, as a decode step
  // reads it (the AVX2 kernel's lanes either way).
  float* o = out + t * os;
  if constexpr (R >= 2) Q0Vnni<Block>::template rows<R / 2>(w, ws, x + t * xs, n, o);
  if constexpr (R % 2 == 1) o[R - 1] = vnni_one_row<Block>(w + (R - 1) * ws, x + t * xs, n);
}

// Q4_K/Q5_K with 512-bit registers: two activation rows per register (the same weight chunk in both
// halves), maddubs/madd as in the AVX2 kernel, so every lane holds the AVX2 kernel's integer sum and
// each half gets its own token's FMA; the mins' part per token as there.
template <bool kFifthBit>
struct QkAvx512 {
  template <int P>  // P pairs of activation rows
  DBSA_AVX512 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out) {
    using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
    const auto* w = static_cast<const Block*>(wv);
    constexpr int T = 2 * P;
    __m512 acc[P];
    __m128 acc_m[T];
    float summs[T];
    for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
    for (int t = 0; t < T; ++t) {
      acc_m[t] = _mm_setzero_ps();
      summs[t] = 0.0f;
    }
    const auto xblock = [&](int t, int64_t b) -> const BlockQ8_K& {
      return reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b];
    };
    for (int64_t b = 0; b < n / kQK; ++b) {
      int32_t sc[8], m[8];
      for (int j = 0; j < 8; ++j) k_quant_scale_min(j, w[b].scales, sc[j], m[j]);
      __m512i sum[P];
      for (int p = 0; p < P; ++p) sum[p] = _mm512_setzero_si512();
      __m256i qh = _mm256_setzero_si256();
      if constexpr (kFifthBit) qh = load32(w[b].qh);
      for (int c = 0; c < 4; ++c) {
        __m256i lo, hi;
        qk_chunk<kFifthBit>(w[b], qh, c, lo, hi);
        const __m512i lo2 = _mm512_broadcast_i64x4(lo), hi2 = _mm512_broadcast_i64x4(hi);
        const __m512i sc_lo = _mm512_set1_epi16(static_cast<int16_t>(sc[2 * c]));
        const __m512i sc_hi = _mm512_set1_epi16(static_cast<int16_t>(sc[2 * c + 1]));
        for (int p = 0; p < P; ++p) {
          const int8_t* q0 = xblock(2 * p, b).qs + 64 * c;
          const int8_t* q1 = xblock(2 * p + 1, b).qs + 64 * c;
          const __m512i y0 = _mm512_inserti64x4(_mm512_castsi256_si512(load32(q0)), load32(q1), 1);
          const __m512i y1 = _mm512_inserti64x4(_mm512_castsi256_si512(load32(q0 + 32)), load32(q1 + 32), 1);
          const __m512i p0 = _mm512_madd_epi16(sc_lo, _mm512_maddubs_epi16(lo2, y0));
          const __m512i p1 = _mm512_madd_epi16(sc_hi, _mm512_maddubs_epi16(hi2, y1));
          sum[p] = _mm512_add_epi32(sum[p], _mm512_add_epi32(p0, p1));
        }
      }
      const float dw = _cvtsh_ss(w[b].d), dmw = _cvtsh_ss(w[b].dmin);
      const __m128i mins = qk_mins_vector(m);
      for (int p = 0; p < P; ++p) {
        const __m512 d = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(xblock(2 * p, b).d * dw)),
                                            _mm256_set1_ps(xblock(2 * p + 1, b).d * dw), 1);
        acc[p] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum[p]), acc[p]);
      }
      for (int t = 0; t < T; ++t) qk_add_mins<kFifthBit>(mins, xblock(t, b), dmw, acc_m[t], summs[t]);
    }
    for (int t = 0; t < T; ++t) {
      const __m256 half =
          t % 2 == 0 ? _mm512_castps512_ps256(acc[t / 2]) : _mm512_extractf32x8_ps(acc[t / 2], 1);
      out[t] = qk_total<kFifthBit>(half, acc_m[t], summs[t]);
    }
  }
};

template <class Block>  // Q6_K, Q3_K, Q2_K
struct SubBlockAvx512 {
  template <int P>  // P pairs of activation rows, as QkAvx512
  DBSA_AVX512 static void run(const void* wv, const std::byte* x, int64_t xs, int64_t n, float* out) {
    const auto* w = static_cast<const Block*>(wv);
    const __m512i offset = _mm512_set1_epi8(kSubBlockOffset<Block>);
    __m512 acc[P];
    for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
    const auto xblock = [&](int t, int64_t b) -> const BlockQ8_K& {
      return reinterpret_cast<const BlockQ8_K*>(x + t * xs)[b];
    };
    for (int64_t b = 0; b < n / kQK; ++b) {
      __m512i sum[P];
      for (int p = 0; p < P; ++p) sum[p] = _mm512_setzero_si512();
      for (int half = 0; half < 2; ++half) {
        const SubBlockHalf v = sub_block_half(w[b], half);
        for (int g = 0; g < 4; ++g) {
          const __m512i q = _mm512_broadcast_i64x4(v.q[g]), scales = _mm512_broadcast_i64x4(v.scales[g]);
          for (int p = 0; p < P; ++p) {
            const int8_t* y0 = xblock(2 * p, b).qs + 128 * half + 32 * g;
            const int8_t* y1 = xblock(2 * p + 1, b).qs + 128 * half + 32 * g;
            const __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(load32(y0)), load32(y1), 1);
            __m512i p16 = _mm512_maddubs_epi16(q, y);
            if constexpr (kSubBlockOffset<Block> != 0)
              p16 = _mm512_sub_epi16(p16, _mm512_maddubs_epi16(offset, y));
            sum[p] = _mm512_add_epi32(sum[p], _mm512_madd_epi16(scales, p16));
          }
        }
      }
      const float dw = _cvtsh_ss(w[b].d);
      for (int p = 0; p < P; ++p) {
        const BlockQ8_K &x0 = xblock(2 * p, b), &x1 = xblock(2 * p + 1, b);
        if constexpr (kSubBlockMins<Block>) {
          const float dmw = _cvtsh_ss(w[b].dmin);
          const __m512 dmin = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(-x0.d * dmw)),
                                                 _mm256_set1_ps(-x1.d * dmw), 1);
          const __m512i mins = _mm512_inserti64x4(_mm512_castsi256_si512(sub_block_mins(w[b], x0)),
                                                  sub_block_mins(w[b], x1), 1);
          acc[p] = _mm512_fmadd_ps(dmin, _mm512_cvtepi32_ps(mins), acc[p]);
        }
        const __m512 d = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(x0.d * dw)),
                                            _mm256_set1_ps(x1.d * dw), 1);
        acc[p] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum[p]), acc[p]);
      }
    }
    for (int p = 0; p < P; ++p) {
      out[2 * p] = hsum8(_mm512_castps512_ps256(acc[p]));
      out[2 * p + 1] = hsum8(_mm512_extractf32x8_ps(acc[p], 1));
    }
  }
};

// A kernel over pairs of activation rows (Wide::run<P>) for each weight row, the odd last row through
// its AVX2 twin (Narrow::run<1>), which sums the same lanes.
template <class Wide, class Narrow>
DBSA_AVX512 void gemm_pairs_avx512(const void* wv, int64_t ws, int n_w, const void* xv, int64_t xs, int n_x,
                                   int64_t n, float* out, int64_t os) {
  const auto* x = static_cast<const std::byte*>(xv);
  for (int r = 0; r < n_w; ++r) {
    const void* w = static_cast<const std::byte*>(wv) + r * ws;
    float tile[4];
    int t = 0;
    for (; t + 4 <= n_x; t += 4) {
      Wide::template run<2>(w, x + t * xs, xs, n, tile);
      for (int k = 0; k < 4; ++k) out[(t + k) * os + r] = tile[k];
    }
    if (t + 2 <= n_x) {
      Wide::template run<1>(w, x + t * xs, xs, n, tile);
      for (int k = 0; k < 2; ++k) out[(t + k) * os + r] = tile[k];
      t += 2;
    }
    if (t < n_x) {
      Narrow::template run<1>(w, x + t * xs, xs, n, tile);
      out[t * os + r] = tile[0];
    }
  }
}

template <class Block>
DBSA_AVX512 void gemm_q0_vnni(const void* wv, int64_t ws, int n_w, const void* xv, int64_t xs, int n_x,
                              int64_t n, float* out, int64_t os) {
  const auto* w = static_cast<const std::byte*>(wv);
  const auto* x = static_cast<const std::byte*>(xv);
  if (n_x == 1) {
    for (int r = 0; r < n_w; ++r) out[r] = vnni_one_row<Block>(w + r * ws, x, n);
    return;
  }
  int r = 0;
  for (; r + 4 <= n_w; r += 4) vnni_rows<Block, 4>(w + r * ws, ws, x, xs, n_x, n, out + r, os);
  switch (n_w - r) {
    case 3:
      return vnni_rows<Block, 3>(w + r * ws, ws, x, xs, n_x, n, out + r, os);
    case 2:
      return vnni_rows<Block, 2>(w + r * ws, ws, x, xs, n_x, n, out + r, os);
    case 1:
      return vnni_rows<Block, 1>(w + r * ws, ws, x, xs, n_x, n, out + r, os);
    default:
      return;
  }
}
#undef DBSA_AVX512
#pragma GCC diagnostic pop

template <WeightType T>
void gemm_amx(const void* w, int64_t ws, int n_w, const void* x, int64_t xs, int n_x, int64_t n, float* out,
              int64_t os) {
  amx::gemm(T, w, ws, n_w, x, xs, nullptr, n_x, n, out, os);
}

#undef DBSA_AVX2

}  // namespace

ActivationBlocks activation_blocks(WeightType t) {
  if (!is_quantized(t))
    throw std::invalid_argument("activation_blocks: " + std::string(weight_type_name(t)) +
                                " is not a quantized type");
  if (t == WeightType::Q4_1 || t == WeightType::Q5_1) return ActivationBlocks::Q8_1;
  return reference_rounding(ggml_type_of(t)) == ActivationRounding::Q8_0 ? ActivationBlocks::Q8_0
                                                                         : ActivationBlocks::Q8_K;
}

int64_t activation_block_elems(ActivationBlocks b) {
  return b == ActivationBlocks::Q8_K ? kQK : 32;
}

int64_t activation_row_bytes(ActivationBlocks b, int64_t n) {
  if (b == ActivationBlocks::Q8_1) return n / 32 * static_cast<int64_t>(sizeof(BlockQ8_1));
  return b == ActivationBlocks::Q8_0 ? n / 32 * static_cast<int64_t>(sizeof(BlockQ8_0))
                                     : n / kQK * static_cast<int64_t>(sizeof(BlockQ8_K));
}

void quantize_activations(ActivationBlocks b, const float* x, void* dst, int64_t n, Isa isa) {
  if (n % activation_block_elems(b) != 0)
    throw std::invalid_argument("quantize_activations: " + std::to_string(n) +
                                " values are not whole blocks of " +
                                std::to_string(activation_block_elems(b)));
  if (!isa_supported(isa))
    throw std::invalid_argument("quantize_activations: this CPU has no " + std::string(isa_name(isa)));
  const bool wide = isa != Isa::Portable;
  if (b == ActivationBlocks::Q8_0)
    (wide ? quantize_q8_avx2<BlockQ8_0> : quantize_q8<BlockQ8_0>)(x, static_cast<BlockQ8_0*>(dst), n);
  else if (b == ActivationBlocks::Q8_1)
    (wide ? quantize_q8_avx2<BlockQ8_1> : quantize_q8<BlockQ8_1>)(x, static_cast<BlockQ8_1*>(dst), n);
  else
    (wide ? quantize_q8_k_avx2 : quantize_q8_k)(x, static_cast<BlockQ8_K*>(dst), n);
}

void quantize_activations(ActivationBlocks b, const float* x, void* dst, int64_t n) {
  quantize_activations(b, x, dst, n, best_isa());
}

namespace {
template <class Block>  // BlockQ8_0, BlockQ8_1
void dequantize_q8(const Block* q, float* y, int64_t n) {
  for (int64_t i = 0; i < n / 32; ++i) {
    const float d = f16_to_f32(q[i].d);
    for (int j = 0; j < 32; ++j) y[32 * i + j] = d * static_cast<float>(q[i].qs[j]);
  }
}
}  // namespace

void dequantize_activations(ActivationBlocks b, const void* src, float* y, int64_t n) {
  if (b == ActivationBlocks::Q8_1) return dequantize_q8(static_cast<const BlockQ8_1*>(src), y, n);
  if (b == ActivationBlocks::Q8_0) return dequantize_q8(static_cast<const BlockQ8_0*>(src), y, n);
  const auto* q = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i)
    for (int j = 0; j < kQK; ++j) y[kQK * i + j] = q[i].d * static_cast<float>(q[i].qs[j]);
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Portable:
      return true;
    case Isa::Avx2:
      return simd::has_avx2();
    case Isa::Avx512Vnni:
      return simd::has_avx512_vnni();
    case Isa::Amx:
      return amx::supported();
  }
  return false;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Portable:
      return "portable";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512Vnni:
      return "avx512-vnni";
    case Isa::Amx:
      return "amx";
  }
  return "?";
}

QuantGemm quant_gemm(WeightType t, Isa isa) {
  if (!isa_supported(isa))
    throw std::invalid_argument("quant_gemm: this CPU has no " + std::string(isa_name(isa)));
  const bool wide = isa != Isa::Portable, vnni = isa >= Isa::Avx512Vnni, tiles = isa == Isa::Amx;
  switch (t) {
    case WeightType::Q8_0:
      return tiles  ? gemm_amx<WeightType::Q8_0>
             : vnni ? gemm_q0_vnni<BlockQ8_0>
             : wide ? gemm_avx2<Q0Avx2<BlockQ8_0>>
                    : gemm_portable<dot_q0_portable<BlockQ8_0>>;
    case WeightType::Q4_0:
      return tiles  ? gemm_amx<WeightType::Q4_0>
             : vnni ? gemm_q0_vnni<BlockQ4_0>
             : wide ? gemm_avx2<Q0Avx2<BlockQ4_0>>
                    : gemm_portable<dot_q0_portable<BlockQ4_0>>;
    case WeightType::Q5_0:
      return tiles  ? gemm_amx<WeightType::Q5_0>
             : vnni ? gemm_q0_vnni<BlockQ5_0>
             : wide ? gemm_avx2<Q0Avx2<BlockQ5_0>>
                    : gemm_portable<dot_q0_portable<BlockQ5_0>>;
    // The K-quants' scales multiply int16 pair sums, which vpdpbusd skips: 512-bit maddubs/madd.
    case WeightType::Q4_K:
      return tiles  ? gemm_amx<WeightType::Q4_K>
             : vnni ? gemm_pairs_avx512<QkAvx512<false>, QkAvx2<false>>
             : wide ? gemm_avx2<QkAvx2<false>>
                    : gemm_portable<dot_qk_portable<false>>;
    case WeightType::Q5_K:
      return tiles  ? gemm_amx<WeightType::Q5_K>
             : vnni ? gemm_pairs_avx512<QkAvx512<true>, QkAvx2<true>>
             : wide ? gemm_avx2<QkAvx2<true>>
                    : gemm_portable<dot_qk_portable<true>>;
    case WeightType::Q6_K:
      return tiles  ? gemm_amx<WeightType::Q6_K>
             : vnni ? gemm_pairs_avx512<SubBlockAvx512<BlockQ6_K>, SubBlockAvx2<BlockQ6_K>>
             : wide ? gemm_avx2<SubBlockAvx2<BlockQ6_K>>
                    : gemm_portable<dot_sub_block_portable<BlockQ6_K>>;
    case WeightType::Q4_1:
      return tiles  ? gemm_amx<WeightType::Q4_1>
             : vnni ? gemm_q0_vnni<BlockQ4_1>
             : wide ? gemm_avx2<Q0Avx2<BlockQ4_1>>
                    : gemm_portable<dot_q0_portable<BlockQ4_1>>;
    case WeightType::Q5_1:
      return tiles  ? gemm_amx<WeightType::Q5_1>
             : vnni ? gemm_q0_vnni<BlockQ5_1>
             : wide ? gemm_avx2<Q0Avx2<BlockQ5_1>>
                    : gemm_portable<dot_q0_portable<BlockQ5_1>>;
    case WeightType::IQ4_NL:
      return tiles  ? gemm_amx<WeightType::IQ4_NL>
             : vnni ? gemm_q0_vnni<BlockIQ4_NL>
             : wide ? gemm_avx2<Q0Avx2<BlockIQ4_NL>>
                    : gemm_portable<dot_q0_portable<BlockIQ4_NL>>;
    // IQ4_XS has no AVX-512 kernel: the AVX2 one below the tile unit (kernel_isa says so).
    case WeightType::IQ4_XS:
      return tiles  ? gemm_amx<WeightType::IQ4_XS>
             : wide ? gemm_avx2<Iq4xsAvx2>
                    : gemm_portable<dot_iq4_xs_portable>;
    // No tile kernel: the AVX-512 one.
    case WeightType::Q2_K:
      return tiles  ? gemm_amx<WeightType::Q2_K>
             : vnni ? gemm_pairs_avx512<SubBlockAvx512<BlockQ2_K>, SubBlockAvx2<BlockQ2_K>>
             : wide ? gemm_avx2<SubBlockAvx2<BlockQ2_K>>
                    : gemm_portable<dot_sub_block_portable<BlockQ2_K>>;
    case WeightType::Q3_K:
      return tiles  ? gemm_amx<WeightType::Q3_K>
             : vnni ? gemm_pairs_avx512<SubBlockAvx512<BlockQ3_K>, SubBlockAvx2<BlockQ3_K>>
             : wide ? gemm_avx2<SubBlockAvx2<BlockQ3_K>>
                    : gemm_portable<dot_sub_block_portable<BlockQ3_K>>;
    default:
      throw std::invalid_argument("quant_gemm: " + std::string(weight_type_name(t)) +
                                  " is not a quantized type");
  }
}

Isa best_isa() {
  static const Isa isa = [] {
    Isa best = amx::supported()          ? Isa::Amx
               : simd::has_avx512_vnni() ? Isa::Avx512Vnni
               : simd::has_avx2()        ? Isa::Avx2
                                         : Isa::Portable;
    // DBSA_MAX_ISA caps the choice (benchmarks of one ISA against another in one run, and the kernels
    // an older CPU would run); an unknown name is refused rather than silently ignored.
    if (const char* cap = std::getenv("DBSA_MAX_ISA"); cap && *cap) {
      const std::string want(cap);
      std::optional<Isa> limit;
      for (const Isa i : {Isa::Portable, Isa::Avx2, Isa::Avx512Vnni, Isa::Amx})
        if (want == isa_name(i)) limit = i;
      if (!limit)
        throw std::invalid_argument("DBSA_MAX_ISA=" + want + ": expected portable, avx2, avx512-vnni or amx");
      best = std::min(best, *limit);
    }
    return best;
  }();
  return isa;
}

Isa kernel_isa(WeightType t, QuantKernels k) {
  const Isa best = best_isa();
  const bool tiles = k == QuantKernels::Fastest && amx::has_kernel(t);
  if (best == Isa::Amx && tiles) return best;
  if (t == WeightType::IQ4_XS) return std::min(best, Isa::Avx2);  // the rest: AVX-512 kernels too
  return best == Isa::Amx ? Isa::Avx512Vnni : best;
}

QuantGemm quant_gemm(WeightType t, QuantKernels k) {
  return quant_gemm(t, kernel_isa(t, k));
}

}  // namespace dbsa
