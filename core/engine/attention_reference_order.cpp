#include "engine/attention_reference_order.h"

#include <immintrin.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include "engine/quant_kernels.h"
#include "engine/simd_kernels.h"
#include "engine/vector_exp.h"

namespace dbsa {

namespace {

using simd::detail::exp256;
using simd::detail::exp512;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Keys in slots of 8 by KV index: slot 8*g + t of group g holds KV index base(g) + t, or -1 where that
// index is not visible. Groups exist only where some key is.
struct Slots {
  std::vector<int64_t> key;  // per slot
};

void fill_slots(std::span<const KvRange> ranges, int64_t last, Slots& s) {
  s.key.clear();
  int64_t group = -1;
  for (const KvRange& r : ranges)
    for (int64_t j = r.begin; j < std::min(r.end, last + 1); ++j) {
      if (j / 8 != group) {
        group = j / 8;
        s.key.insert(s.key.end(), 8, -1);
      }
      s.key[s.key.size() - 8 + static_cast<size_t>(j % 8)] = j;
    }
}

// Rows are laid out in groups of W (8 with AVX2, 16 with AVX-512; each value is computed alone, so the
// width changes no bits), padded to `rows_w`. Scores are packed contiguously per group of rows: read
// across rows of the cache (kv_stride apart, a stride that maps whole tiles onto a few cache sets) they
// measured slower.
struct Scratch {
  Slots slots;
  int64_t width = 8;
  std::vector<float> qt;                 // per group of W rows: [d][W], rows past the end zero
  std::vector<float> st;                 // per group of W rows: [slot][W]: scores, then weights
  std::vector<int32_t> last;             // per row (rows_w), as int32 for the mask compare
  std::vector<float> zero_row;           // the key and values of an empty slot
  std::vector<const float*> value_rows;  // per slot: its values in the cache, or zero_row
  std::vector<float> lanes;              // the AVX-512 P·V's sums per lane: [t][16 rows][d]
  int64_t n_slots() const { return static_cast<int64_t>(slots.key.size()); }
  // The score, then weight, of slot s for row r.
  float* at(int64_t s, int64_t r) { return st.data() + ((r / width) * n_slots() + s) * width + r % width; }
  const float* at(int64_t s, int64_t r) const {
    return st.data() + ((r / width) * n_slots() + s) * width + r % width;
  }
  const float* values(int64_t s) const { return value_rows[static_cast<size_t>(s)]; }
};

// GCC 12 warns that the AVX-512 intrinsics' own _mm512_undefined_* placeholders are uninitialized, as in
// engine/quant_kernels.cpp; -Werror must not trip on it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DBSA_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

// (a0+a4 + a1+a5) + (a2+a6 + a3+a7) of 8 lanes held as 8 vectors: the reduction of a 4-accumulator dot.
__attribute__((target("avx2,fma"))) __m256 tree_dot(const __m256* b) {
  return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(b[0], b[4]), _mm256_add_ps(b[1], b[5])),
                       _mm256_add_ps(_mm256_add_ps(b[2], b[6]), _mm256_add_ps(b[3], b[7])));
}

// (a0+a4 + a2+a6) + (a1+a5 + a3+a7): a horizontal sum by halves, then the high pair, then the odd lane.
__attribute__((target("avx2,fma"))) __m256 tree_halves(const __m256* a) {
  return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[4]), _mm256_add_ps(a[2], a[6])),
                       _mm256_add_ps(_mm256_add_ps(a[1], a[5]), _mm256_add_ps(a[3], a[7])));
}

// Scores of one key against 8 rows (qg: [d][8]).
__attribute__((target("avx2,fma"))) __m256 score8(const float* key, const float* qg, int64_t d) {
  const int64_t np = d / 32 * 32;
  __m256 c[8];
  for (int t = 0; t < 8; ++t) {
    __m256 acc[4];
    for (int a = 0; a < 4; ++a) {
      acc[a] = _mm256_setzero_ps();
      for (int64_t x = 8 * a + t; x < np; x += 32)
        acc[a] = _mm256_fmadd_ps(_mm256_set1_ps(key[x]), _mm256_loadu_ps(qg + x * 8), acc[a]);
    }
    c[t] = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
  }
  __m256 s = tree_dot(c);
  for (int64_t x = np; x < d; ++x) {
    __m256 product = _mm256_mul_ps(_mm256_set1_ps(key[x]), _mm256_loadu_ps(qg + x * 8));
    // The product is rounded on its own: without this the compiler may contract the pair into an FMA.
    asm("" : "+x"(product));
    s = _mm256_add_ps(s, product);
  }
  return s;
}

__attribute__((target("avx2,fma"))) void scores(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  const int64_t d = h.d, n_slots = sc.n_slots();
  const __m256 scale = _mm256_set1_ps(h.scale), neg_inf = _mm256_set1_ps(kNegInf);
  for (int64_t g = 0; g < rows_w / 8; ++g) {
    const float* qg = sc.qt.data() + g * 8 * d;
    const __m256i last = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sc.last.data() + g * 8));
    for (int64_t s = 0; s < n_slots; ++s) {
      float* dst = sc.at(s, g * 8);
      const int64_t j = sc.slots.key[static_cast<size_t>(s)];
      if (j < 0) {
        _mm256_storeu_ps(dst, neg_inf);
        continue;
      }
      const __m256 w = _mm256_mul_ps(score8(h.k + j * h.ldk, qg, d), scale);
      const __m256 hidden =
          _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(j)), last));
      _mm256_storeu_ps(dst, _mm256_blendv_ps(w, neg_inf, hidden));
    }
  }
}

// float(1/sum) in 4 lanes, 0 for a row that saw no key.
__attribute__((target("avx2,fma"))) __m128 inverse(__m256d sum) {
  const __m256d zero = _mm256_setzero_pd();
  const __m256d inv = _mm256_div_pd(_mm256_set1_pd(1.0), sum);
  return _mm256_cvtpd_ps(_mm256_blendv_pd(inv, zero, _mm256_cmp_pd(sum, zero, _CMP_EQ_OQ)));
}

// Scores to weights, 8 rows at a time.
__attribute__((target("avx2,fma"))) void softmax(int64_t rows_w, Scratch& sc) {
  const int64_t n_slots = sc.n_slots(), ld = sc.width;
  const __m256 neg_inf = _mm256_set1_ps(kNegInf), zero = _mm256_setzero_ps();
  for (int64_t g = 0; g < rows_w / 8; ++g) {
    float* col = sc.at(0, g * 8);
    __m256 mx = neg_inf;
    for (int64_t s = 0; s < n_slots; ++s) mx = _mm256_max_ps(mx, _mm256_loadu_ps(col + s * ld));
    // A row that sees no key keeps max -inf: shift by 0 so its weights come out 0, not NaN.
    mx = _mm256_blendv_ps(mx, zero, _mm256_cmp_ps(mx, neg_inf, _CMP_EQ_OQ));
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    for (int64_t s0 = 0; s0 < n_slots; s0 += 8) {
      __m256 e[8];
      for (int t = 0; t < 8; ++t) {
        float* p = col + (s0 + t) * ld;
        const __m256 x = _mm256_loadu_ps(p);
        e[t] = _mm256_blendv_ps(exp256(_mm256_sub_ps(x, mx)), zero, _mm256_cmp_ps(x, neg_inf, _CMP_EQ_OQ));
        _mm256_storeu_ps(p, e[t]);
      }
      const __m256 hs = tree_halves(e);
      sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(hs)));
      sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(hs, 1)));
    }
    const __m256 inv = _mm256_set_m128(inverse(sum_hi), inverse(sum_lo));
    for (int64_t s = 0; s < n_slots; ++s) {
      float* p = col + s * ld;
      _mm256_storeu_ps(p, _mm256_mul_ps(_mm256_loadu_ps(p), inv));
    }
  }
}

// out[r] = P·V, 8 value dimensions at a time: lanes by KV index mod 8, or, for a one-token batch, mod 32
// (four accumulators of 8, reduced as a score is).
template <bool kOneToken>
__attribute__((target("avx2,fma"))) void weighted_values(const ReferenceOrderHead& h, const Scratch& sc) {
  constexpr int kLanes = kOneToken ? 32 : 8;
  const int64_t n_slots = sc.n_slots();
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t x = 0; x < h.d; x += 8) {
      __m256 acc[kLanes];
      for (auto& a : acc) a = _mm256_setzero_ps();
      for (int64_t s0 = 0; s0 < n_slots; s0 += 8) {
        __m256* lane = acc;
        if constexpr (kOneToken) {  // the eight accumulators of this group's KV indices
          int64_t first = -1;
          for (int t = 0; t < 8 && first < 0; ++t) first = sc.slots.key[static_cast<size_t>(s0 + t)];
          lane += (first / 8 % 4) * 8;
        }
        for (int t = 0; t < 8; ++t) {
          const int64_t s = s0 + t;
          lane[t] = _mm256_fmadd_ps(_mm256_loadu_ps(sc.values(s) + x), _mm256_set1_ps(*sc.at(s, r)), lane[t]);
        }
      }
      if constexpr (kOneToken) {
        __m256 b[8];
        for (int t = 0; t < 8; ++t)
          b[t] = _mm256_add_ps(_mm256_add_ps(acc[t], acc[16 + t]), _mm256_add_ps(acc[8 + t], acc[24 + t]));
        _mm256_storeu_ps(h.out[r] + x, tree_dot(b));
      } else {
        _mm256_storeu_ps(h.out[r] + x, tree_halves(acc));
      }
    }
}

// The AVX-512 form: 16 rows a vector, one group of 16 rows at a time through scores, softmax and P·V
// (its scores, 64 B a slot, stay in L2 between the steps), each group only as far as the 8-slot group of
// its last row's last key. The slots past it are masked for all its rows: the reference's weights there
// are exactly 0, whose exponentials add 0.0 to the sums and whose FMAs leave the P·V chains unchanged.
DBSA_AVX512 inline __m512 tree_dot16(const __m512* b) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(b[0], b[4]), _mm512_add_ps(b[1], b[5])),
                       _mm512_add_ps(_mm512_add_ps(b[2], b[6]), _mm512_add_ps(b[3], b[7])));
}

DBSA_AVX512 inline __m512 tree_halves16(const __m512* a) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                       _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7])));
}

// Lane t of the 4-accumulator dot of kK keys against 16 rows (qg: [d][16]), its four accumulators added
// as (0+2) + (1+3). Each query vector loaded serves kK FMAs. kSteps is d / 32 where it is known at compile
// time (every step unrolled, the accumulators held in registers), else -1.
template <int kSteps, int kK>
DBSA_AVX512 inline void score_lane(const float* const* k, const float* qg, int64_t np, int t,
                                   __m512 (&c)[kK]) {
  if constexpr (kSteps >= 0) np = 32 * kSteps;
  __m512 acc[4][kK];
#pragma GCC unroll 4
  for (int a = 0; a < 4; ++a) {
    for (int j = 0; j < kK; ++j) acc[a][j] = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int64_t x = 8 * a + t; x < np; x += 32) {
      const __m512 q = _mm512_loadu_ps(qg + x * 16);
      for (int j = 0; j < kK; ++j) acc[a][j] = _mm512_fmadd_ps(_mm512_set1_ps(k[j][x]), q, acc[a][j]);
    }
  }
  for (int j = 0; j < kK; ++j)
    c[j] = _mm512_add_ps(_mm512_add_ps(acc[0][j], acc[2][j]), _mm512_add_ps(acc[1][j], acc[3][j]));
}

// Lanes t and t + 4, added: one of the four pairs of the lane tree (c0+c4 + c1+c5) + (c2+c6 + c3+c7).
template <int kSteps, int kK>
DBSA_AVX512 inline void score_pair(const float* const* k, const float* qg, int64_t np, int t,
                                   __m512 (&p)[kK]) {
  __m512 lo[kK], hi[kK];
  score_lane<kSteps, kK>(k, qg, np, t, lo);
  score_lane<kSteps, kK>(k, qg, np, t + 4, hi);
  for (int j = 0; j < kK; ++j) p[j] = _mm512_add_ps(lo[j], hi[j]);
}

// The scores (unscaled) of kK keys against 16 rows, as score8 sums them.
template <int kSteps, int kK>
DBSA_AVX512 inline void score_block(const float* const* k, const float* qg, int64_t d, __m512 (&out)[kK]) {
  const int64_t np = d / 32 * 32;
  __m512 p0[kK], p1[kK];
  score_pair<kSteps, kK>(k, qg, np, 0, p0);
  score_pair<kSteps, kK>(k, qg, np, 1, p1);
  for (int j = 0; j < kK; ++j) out[j] = _mm512_add_ps(p0[j], p1[j]);
  score_pair<kSteps, kK>(k, qg, np, 2, p0);
  score_pair<kSteps, kK>(k, qg, np, 3, p1);
  for (int j = 0; j < kK; ++j) out[j] = _mm512_add_ps(out[j], _mm512_add_ps(p0[j], p1[j]));
  for (int64_t x = np; x < d; ++x) {
    const __m512 q = _mm512_loadu_ps(qg + x * 16);
    for (int j = 0; j < kK; ++j) {
      __m512 product = _mm512_mul_ps(_mm512_set1_ps(k[j][x]), q);
      asm("" : "+v"(product));  // rounded alone, as in score8
      out[j] = _mm512_add_ps(out[j], product);
    }
  }
}

// Scores of row group g against slots [0, n_slots), four at a time (four keys measured fastest: two
// leave the loads of the query vectors unshared, eight spill).
template <int kSteps>
DBSA_AVX512 void scores16(const ReferenceOrderHead& h, int64_t g, int64_t n_slots, Scratch& sc) {
  constexpr int kK = 4;
  const __m512 scale = _mm512_set1_ps(h.scale), neg_inf = _mm512_set1_ps(kNegInf);
  const float* qg = sc.qt.data() + g * 16 * h.d;
  const __m512i last = _mm512_loadu_si512(sc.last.data() + g * 16);
  for (int64_t s = 0; s < n_slots; s += kK) {  // slots come in eights
    const float* k[kK];
    int64_t j[kK];
    bool any = false;
    for (int i = 0; i < kK; ++i) {
      j[i] = sc.slots.key[static_cast<size_t>(s + i)];
      k[i] = j[i] < 0 ? sc.zero_row.data() : h.k + j[i] * h.ldk;
      any = any || j[i] >= 0;
    }
    if (!any) {
      for (int i = 0; i < kK; ++i) _mm512_storeu_ps(sc.at(s + i, g * 16), neg_inf);
      continue;
    }
    __m512 w[kK];
    score_block<kSteps, kK>(k, qg, h.d, w);
    for (int i = 0; i < kK; ++i) {
      const __mmask16 hidden =
          j[i] < 0 ? __mmask16(0xFFFF)
                   : _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(static_cast<int32_t>(j[i])), last);
      _mm512_storeu_ps(sc.at(s + i, g * 16),
                       _mm512_mask_blend_ps(hidden, _mm512_mul_ps(w[i], scale), neg_inf));
    }
  }
}

// inverse's steps in 8 lanes.
DBSA_AVX512 inline __m256 inverse16(__m512d sum) {
  const __m512d zero = _mm512_setzero_pd();
  return _mm512_cvtpd_ps(_mm512_mask_blend_pd(_mm512_cmp_pd_mask(sum, zero, _CMP_EQ_OQ),
                                              _mm512_div_pd(_mm512_set1_pd(1.0), sum), zero));
}

// softmax's steps for row group g (the same bits per row).
DBSA_AVX512 void softmax16(int64_t g, int64_t n_slots, Scratch& sc) {
  const __m512 neg_inf = _mm512_set1_ps(kNegInf), zero = _mm512_setzero_ps();
  const __m512d zero_d = _mm512_setzero_pd();
  float* col = sc.at(0, g * 16);
  __m512 mx = neg_inf;
  for (int64_t s = 0; s < n_slots; ++s) mx = _mm512_max_ps(mx, _mm512_loadu_ps(col + s * 16));
  mx = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(mx, neg_inf, _CMP_EQ_OQ), mx, zero);
  __m512d sum_lo = zero_d, sum_hi = zero_d;
  for (int64_t s0 = 0; s0 < n_slots; s0 += 8) {
    __m512 e[8];
    for (int t = 0; t < 8; ++t) {
      float* p = col + (s0 + t) * 16;
      const __m512 x = _mm512_loadu_ps(p);
      e[t] = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, neg_inf, _CMP_EQ_OQ), exp512(_mm512_sub_ps(x, mx)),
                                  zero);
      _mm512_storeu_ps(p, e[t]);
    }
    const __m512 hs = tree_halves16(e);
    sum_lo = _mm512_add_pd(sum_lo, _mm512_cvtps_pd(_mm512_castps512_ps256(hs)));
    sum_hi = _mm512_add_pd(sum_hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(hs, 1)));
  }
  const __m512 inv = _mm512_insertf32x8(_mm512_castps256_ps512(inverse16(sum_lo)), inverse16(sum_hi), 1);
  for (int64_t s = 0; s < n_slots; ++s) {
    float* p = col + s * 16;
    _mm512_storeu_ps(p, _mm512_mul_ps(_mm512_loadu_ps(p), inv));
  }
}

// P·V in lanes by KV index mod 8, for value sizes in whole 16-float vectors: one lane at a time (its FMA
// chains never meet the other lanes' until the end), so each lane's accumulators can be blocked over
// kRows rows × kChunks vectors of value dimensions in registers: a slot's value vectors are loaded once
// for kRows rows and each weight broadcast once for kChunks vectors. The eight lanes' sums wait in
// sc.lanes ([t][16 rows][d]) and are added as the softmax's groups are. (The earlier form, value
// dimensions broadcast against 16 rows a vector, needed a weight load per FMA and a transposed copy of
// the values, and measured about half as fast.)
template <int kChunks, int kRows>
DBSA_AVX512 void lane_block(const Scratch& sc, const float* pg, int64_t n_slots, int64_t t, int64_t r0,
                            int64_t x0, float* dst, int64_t d) {
  __m512 acc[kRows][kChunks];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t s = t; s < n_slots; s += 8) {
    const float* v = sc.values(s) + x0;
    __m512 vs[kChunks];
    for (int c = 0; c < kChunks; ++c) vs[c] = _mm512_loadu_ps(v + 16 * c);
    const float* w = pg + s * 16 + r0;
    for (int r = 0; r < kRows; ++r) {
      const __m512 wr = _mm512_set1_ps(w[r]);
      for (int c = 0; c < kChunks; ++c) acc[r][c] = _mm512_fmadd_ps(vs[c], wr, acc[r][c]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kChunks; ++c) _mm512_storeu_ps(dst + (r0 + r) * d + x0 + 16 * c, acc[r][c]);
}

// One lane's sums for the 16 rows and value dimensions [x0, x0 + 16·kChunks).
template <int kChunks>
DBSA_AVX512 void lane_rows(const Scratch& sc, const float* pg, int64_t n_slots, int64_t t, int64_t x0,
                           float* dst, int64_t d) {
  constexpr int kRows = kChunks == 4 ? 6 : 8;  // at most 24 accumulators
  int64_t r0 = 0;
  for (; r0 + kRows <= 16; r0 += kRows) lane_block<kChunks, kRows>(sc, pg, n_slots, t, r0, x0, dst, d);
  if constexpr (16 % kRows != 0) lane_block<kChunks, 16 % kRows>(sc, pg, n_slots, t, r0, x0, dst, d);
}

DBSA_AVX512 void weighted_values16(const ReferenceOrderHead& h, int64_t g, int64_t n_slots, Scratch& sc) {
  const int64_t d = h.d;
  sc.lanes.resize(static_cast<size_t>(8 * 16 * d));
  const float* pg = sc.at(0, g * 16);
  for (int64_t t = 0; t < 8; ++t) {
    float* dst = sc.lanes.data() + t * 16 * d;
    int64_t x0 = 0;
    for (; x0 + 64 <= d; x0 += 64) lane_rows<4>(sc, pg, n_slots, t, x0, dst, d);
    switch ((d - x0) / 16) {
      case 3:
        lane_rows<3>(sc, pg, n_slots, t, x0, dst, d);
        break;
      case 2:
        lane_rows<2>(sc, pg, n_slots, t, x0, dst, d);
        break;
      case 1:
        lane_rows<1>(sc, pg, n_slots, t, x0, dst, d);
        break;
      default:
        break;
    }
  }
  const int64_t n_rows = std::min<int64_t>(16, h.rows - g * 16);
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t x = 0; x < d; x += 16) {
      __m512 a[8];
      for (int t = 0; t < 8; ++t) a[t] = _mm512_loadu_ps(sc.lanes.data() + (t * 16 + r) * d + x);
      _mm512_storeu_ps(h.out[g * 16 + r] + x, tree_halves16(a));
    }
}

// The slots row group g needs: every 8-slot group holding a key it may see.
int64_t group_slots(const Scratch& sc, int64_t g) {
  const int64_t last = sc.last[static_cast<size_t>(g * 16 + 15)];
  int64_t n = sc.n_slots();
  while (n > 0) {
    int64_t first = -1;  // the 8-slot group's first key (every group holds one)
    for (int64_t s = n - 8; s < n && first < 0; ++s) first = sc.slots.key[static_cast<size_t>(s)];
    if (first <= last) break;
    n -= 8;
  }
  return n;
}

template <int kSteps>
DBSA_AVX512 void attention16(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  // The other P·V forms (one token, value sizes with a half vector) read every slot of every row.
  const bool own_pv = !h.single_token && h.d % 16 == 0;
  for (int64_t g = 0; g < rows_w / 16; ++g) {
    const int64_t n = own_pv ? group_slots(sc, g) : sc.n_slots();
    scores16<kSteps>(h, g, n, sc);
    softmax16(g, n, sc);
    if (own_pv) weighted_values16(h, g, n, sc);
  }
}

#pragma GCC diagnostic pop

}  // namespace

bool reference_order_supported(int64_t head_dim) {
  return simd::has_avx2() && head_dim > 0 && head_dim % 8 == 0;
}

void attention_reference_order(const ReferenceOrderHead& h) {
  if (!reference_order_supported(h.d))
    throw std::invalid_argument("attention_reference_order: unsupported head");
  if (h.rows <= 0) return;
  thread_local Scratch sc;
  // DBSA_MAX_ISA below avx512-vnni keeps this kernel on AVX2 as well (the tests run both forms).
  const Isa isa = best_isa();
  const bool wide = simd::has_avx512_vnni() && (isa == Isa::Avx512Vnni || isa == Isa::Amx);
  const int64_t d = h.d, width = wide ? 16 : 8, rows_w = (h.rows + width - 1) / width * width;
  sc.width = width;
  fill_slots(h.ranges, h.last_key[h.rows - 1], sc.slots);
  sc.qt.assign(static_cast<size_t>(rows_w * d), 0.0f);
  sc.last.resize(static_cast<size_t>(rows_w));
  for (int64_t r = 0; r < rows_w; ++r) {
    // Padding rows repeat the last row's limit with zero queries: finite scores, never read back.
    const int64_t rr = std::min(r, h.rows - 1);
    sc.last[static_cast<size_t>(r)] = static_cast<int32_t>(h.last_key[rr]);
    if (r < h.rows)
      for (int64_t x = 0; x < d; ++x)
        sc.qt[static_cast<size_t>((r / width * d + x) * width + r % width)] = h.q[r][x];
  }
  sc.zero_row.assign(static_cast<size_t>(d), 0.0f);
  sc.value_rows.resize(sc.slots.key.size());
  for (size_t s = 0; s < sc.slots.key.size(); ++s)
    sc.value_rows[s] = sc.slots.key[s] < 0 ? sc.zero_row.data() : h.v + sc.slots.key[s] * h.ldv;
  sc.st.resize(sc.slots.key.size() * static_cast<size_t>(rows_w));
  if (wide) {
    switch (d / 32) {  // the common head sizes (64, 128) unrolled
      case 1:
        attention16<1>(h, rows_w, sc);
        break;
      case 2:
        attention16<2>(h, rows_w, sc);
        break;
      case 3:
        attention16<3>(h, rows_w, sc);
        break;
      case 4:
        attention16<4>(h, rows_w, sc);
        break;
      default:
        attention16<-1>(h, rows_w, sc);
    }
    if (h.single_token)
      weighted_values<true>(h, sc);
    else if (d % 16 != 0)
      weighted_values<false>(h, sc);
    return;
  }
  scores(h, rows_w, sc);
  softmax(rows_w, sc);
  if (h.single_token)
    weighted_values<true>(h, sc);
  else
    weighted_values<false>(h, sc);
}

}  // namespace dbsa
