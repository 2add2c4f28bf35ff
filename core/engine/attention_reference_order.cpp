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
  std::vector<float> vt;                 // [d][slot]: the values transposed (the AVX-512 P·V)
  std::vector<float> pv_acc;             // its accumulators between key chunks: [x][t][16 rows]
  int64_t n_slots() const { return static_cast<int64_t>(slots.key.size()); }
  // The score, then weight, of slot s for row r.
  float* at(int64_t s, int64_t r) { return st.data() + ((r / width) * n_slots() + s) * width + r % width; }
  const float* at(int64_t s, int64_t r) const {
    return st.data() + ((r / width) * n_slots() + s) * width + r % width;
  }
  const float* values(int64_t s) const { return value_rows[static_cast<size_t>(s)]; }
};

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

// The AVX-512 forms of the score and P·V loops: 16 rows (scores) or 16 value dimensions (P·V) a vector,
// two keys or two 16-dimension chunks at a time, so that each load serves two FMAs.
DBSA_AVX512 inline __m512 tree_dot16(const __m512* b) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(b[0], b[4]), _mm512_add_ps(b[1], b[5])),
                       _mm512_add_ps(_mm512_add_ps(b[2], b[6]), _mm512_add_ps(b[3], b[7])));
}

DBSA_AVX512 inline __m512 tree_halves16(const __m512* a) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                       _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7])));
}

// Lane t of the 4-accumulator dot for two keys against 16 rows (qg: [d][16]).
DBSA_AVX512 inline void dot_lane16(const float* k0, const float* k1, const float* qg, int64_t np, int t,
                                   __m512& c0, __m512& c1) {
  __m512 a0[4], a1[4];
  for (int a = 0; a < 4; ++a) {
    a0[a] = a1[a] = _mm512_setzero_ps();
    for (int64_t x = 8 * a + t; x < np; x += 32) {
      const __m512 q = _mm512_loadu_ps(qg + x * 16);
      a0[a] = _mm512_fmadd_ps(_mm512_set1_ps(k0[x]), q, a0[a]);
      a1[a] = _mm512_fmadd_ps(_mm512_set1_ps(k1[x]), q, a1[a]);
    }
  }
  c0 = _mm512_add_ps(_mm512_add_ps(a0[0], a0[2]), _mm512_add_ps(a0[1], a0[3]));
  c1 = _mm512_add_ps(_mm512_add_ps(a1[0], a1[2]), _mm512_add_ps(a1[1], a1[3]));
}

// Lanes t and t + 4, added: one of the four pairs of the lane tree.
DBSA_AVX512 inline void dot_pair16(const float* k0, const float* k1, const float* qg, int64_t np, int t,
                                   __m512& p0, __m512& p1) {
  __m512 lo0, lo1, hi0, hi1;
  dot_lane16(k0, k1, qg, np, t, lo0, lo1);
  dot_lane16(k0, k1, qg, np, t + 4, hi0, hi1);
  p0 = _mm512_add_ps(lo0, hi0);
  p1 = _mm512_add_ps(lo1, hi1);
}

DBSA_AVX512 void score16x2(const float* k0, const float* k1, const float* qg, int64_t d, __m512& s0,
                           __m512& s1) {
  const int64_t np = d / 32 * 32;
  __m512 a0, a1, b0, b1;
  dot_pair16(k0, k1, qg, np, 0, a0, a1);
  dot_pair16(k0, k1, qg, np, 1, b0, b1);
  const __m512 l0 = _mm512_add_ps(a0, b0), l1 = _mm512_add_ps(a1, b1);
  dot_pair16(k0, k1, qg, np, 2, a0, a1);
  dot_pair16(k0, k1, qg, np, 3, b0, b1);
  s0 = _mm512_add_ps(l0, _mm512_add_ps(a0, b0));
  s1 = _mm512_add_ps(l1, _mm512_add_ps(a1, b1));
  for (int64_t x = np; x < d; ++x) {
    const __m512 q = _mm512_loadu_ps(qg + x * 16);
    __m512 p0 = _mm512_mul_ps(_mm512_set1_ps(k0[x]), q), p1 = _mm512_mul_ps(_mm512_set1_ps(k1[x]), q);
    asm("" : "+v"(p0), "+v"(p1));  // rounded alone, as in score8
    s0 = _mm512_add_ps(s0, p0);
    s1 = _mm512_add_ps(s1, p1);
  }
}

DBSA_AVX512 void scores_avx512(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  const int64_t d = h.d, n_slots = sc.n_slots();
  const __m512 scale = _mm512_set1_ps(h.scale), neg_inf = _mm512_set1_ps(kNegInf);
  const auto key_row = [&](int64_t j) { return j < 0 ? sc.zero_row.data() : h.k + j * h.ldk; };
  for (int64_t g = 0; g < rows_w / 16; ++g) {
    const float* qg = sc.qt.data() + g * 16 * d;
    const __m512i last = _mm512_loadu_si512(sc.last.data() + g * 16);
    for (int64_t s = 0; s < n_slots; s += 2) {  // slots come in eights: always a pair
      const int64_t j0 = sc.slots.key[static_cast<size_t>(s)], j1 = sc.slots.key[static_cast<size_t>(s + 1)];
      if (j0 < 0 && j1 < 0) {
        _mm512_storeu_ps(sc.at(s, g * 16), neg_inf);
        _mm512_storeu_ps(sc.at(s + 1, g * 16), neg_inf);
        continue;
      }
      __m512 w[2];
      score16x2(key_row(j0), key_row(j1), qg, d, w[0], w[1]);
      for (int i = 0; i < 2; ++i) {
        const int64_t j = i == 0 ? j0 : j1;
        const __mmask16 hidden =
            j < 0 ? __mmask16(0xFFFF)
                  : _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(static_cast<int32_t>(j)), last);
        _mm512_storeu_ps(sc.at(s + i, g * 16),
                         _mm512_mask_blend_ps(hidden, _mm512_mul_ps(w[i], scale), neg_inf));
      }
    }
  }
}

// P·V in lanes by KV index mod 8, 16 rows a vector, two value dimensions at a time: the weights are
// read as they lie (a slot's row of st) and each value is broadcast. (Vectors along the value
// dimension instead read the weights down a column of st, a cache line each: measured slower, also
// with a transposed copy.)
//
// Keys go in chunks of kPvChunk slots, so that a chunk's weights (64 B a slot) stay in L1 across all the
// value dimensions; the accumulators are kept in memory between chunks (each lane's chain still takes
// its keys in order). The values are read transposed ([dimension][slot]), one line serving 16 slots.
constexpr int64_t kPvChunk = 128;

DBSA_AVX512 void weighted_values_8_avx512(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  const int64_t n_slots = sc.n_slots(), d = h.d;
  sc.vt.resize(static_cast<size_t>(d * n_slots));
  for (int64_t s0 = 0; s0 < n_slots; s0 += 8)  // 8 slots at a time: their rows stay in L1 across x
    for (int64_t x = 0; x < d; ++x)
      for (int64_t s = s0; s < s0 + 8; ++s) sc.vt[static_cast<size_t>(x * n_slots + s)] = sc.values(s)[x];
  sc.pv_acc.resize(static_cast<size_t>(d * 8 * 16));
  float* acc = sc.pv_acc.data();
  const auto lane = [acc](int64_t x, int t) { return acc + (x * 8 + t) * 16; };
  alignas(64) float o[2][16];
  for (int64_t g = 0; g < rows_w / 16; ++g) {
    const float* pg = sc.at(0, g * 16);
    const int64_t n_rows = std::min<int64_t>(16, h.rows - g * 16);
    std::fill(sc.pv_acc.begin(), sc.pv_acc.end(), 0.0f);
    for (int64_t c0 = 0; c0 < n_slots; c0 += kPvChunk) {
      const int64_t c1 = std::min(n_slots, c0 + kPvChunk);
      for (int64_t x = 0; x < d; x += 2) {
        __m512 a0[8], a1[8];
        for (int t = 0; t < 8; ++t) {
          a0[t] = _mm512_loadu_ps(lane(x, t));
          a1[t] = _mm512_loadu_ps(lane(x + 1, t));
        }
        const float* v0 = sc.vt.data() + x * n_slots;
        const float* v1 = v0 + n_slots;
        for (int64_t s0 = c0; s0 < c1; s0 += 8)
          for (int t = 0; t < 8; ++t) {
            const __m512 w = _mm512_loadu_ps(pg + (s0 + t) * 16);
            a0[t] = _mm512_fmadd_ps(_mm512_set1_ps(v0[s0 + t]), w, a0[t]);
            a1[t] = _mm512_fmadd_ps(_mm512_set1_ps(v1[s0 + t]), w, a1[t]);
          }
        for (int t = 0; t < 8; ++t) {
          _mm512_storeu_ps(lane(x, t), a0[t]);
          _mm512_storeu_ps(lane(x + 1, t), a1[t]);
        }
      }
    }
    for (int64_t x = 0; x < d; x += 2) {
      __m512 a0[8], a1[8];
      for (int t = 0; t < 8; ++t) {
        a0[t] = _mm512_loadu_ps(lane(x, t));
        a1[t] = _mm512_loadu_ps(lane(x + 1, t));
      }
      _mm512_store_ps(o[0], tree_halves16(a0));
      _mm512_store_ps(o[1], tree_halves16(a1));
      for (int64_t i = 0; i < n_rows; ++i) {
        h.out[g * 16 + i][x] = o[0][i];
        h.out[g * 16 + i][x + 1] = o[1][i];
      }
    }
  }
}

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
  if (wide)
    scores_avx512(h, rows_w, sc);
  else
    scores(h, rows_w, sc);
  softmax(rows_w, sc);
  if (h.single_token)
    weighted_values<true>(h, sc);
  else if (wide)
    weighted_values_8_avx512(h, rows_w, sc);
  else
    weighted_values<false>(h, sc);
}

}  // namespace dbsa
