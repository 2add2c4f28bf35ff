#include "engine/attention_reference_order.h"

#include <immintrin.h>

#include <algorithm>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

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
  std::vector<int64_t> key;    // per slot
  std::vector<int64_t> first;  // per group: its first visible KV index
};

void fill_slots(std::span<const KvRange> ranges, int64_t last, Slots& s) {
  s.key.clear();
  s.first.clear();
  int64_t group = -1;
  for (const KvRange& r : ranges)
    for (int64_t j = r.begin; j < std::min(r.end, last + 1); ++j) {
      if (j / 8 != group) {
        group = j / 8;
        s.key.insert(s.key.end(), 8, -1);
        s.first.push_back(j);
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
  std::vector<float> qt;                   // per group of W rows: [d][W], rows past the end zero
  std::vector<float> st;                   // per group of W rows: [slot][W]: scores, then weights
  std::vector<int32_t> last;               // per row (rows_w), as int32 for the mask compare
  std::vector<float> zero_row;             // the key and values of an empty slot
  std::vector<const float*> value_rows;    // per slot: its values in the cache, or zero_row
  std::vector<float> lanes;                // P·V's sums per lane: [lane][W rows][d]
  std::vector<int32_t> all_groups;         // 0, 1, ... per 8-slot group: the P·V lanes by KV index mod 8
  std::vector<int32_t> quarter_groups[4];  // the 8-slot groups whose KV indices / 8 are q mod 4 (mod 32)
  int64_t n_slots() const { return static_cast<int64_t>(slots.key.size()); }
  // The score, then weight, of slot s for row r.
  float* at(int64_t s, int64_t r) { return st.data() + ((r / width) * n_slots() + s) * width + r % width; }
  const float* at(int64_t s, int64_t r) const {
    return st.data() + ((r / width) * n_slots() + s) * width + r % width;
  }
  const float* values(int64_t s) const { return value_rows[static_cast<size_t>(s)]; }
};

// The steps for 8 rows a vector (AVX2) and 16 (AVX-512), one text
// (engine/attention_reference_order_steps.h) compiled for each.
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {

struct V {
  using F = __m256;
  using I = __m256i;
  using Mask = __m256;
  static constexpr int kW = 8;
  static constexpr int kScoreKeys = 2;       // 16 vector registers: four keys' accumulators would spill
  static constexpr int kPvChunks = 2;        // P·V blocks of 2 value vectors...
  static constexpr int kPvAccumulators = 8;  // ...by 4 rows
  static F zero() { return _mm256_setzero_ps(); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  // a·b rounded on its own: without the barrier the compiler may contract it with the add that follows.
  static F mul_alone(F a, F b) {
    F p = _mm256_mul_ps(a, b);
    asm("" : "+x"(p));
    return p;
  }
  // Computes x here: GCC 12 otherwise moves a single-use sum down to its use (expanding it into the
  // expression there), which keeps every product it adds alive until then
  // (engine/attention_reference_order_steps.h, score_lane).
  static void keep(F& x) { asm("" : "+x"(x)); }
  static F exp(F x) { return exp256(x); }
  static I load_last(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static Mask key_hidden(int64_t j, I last) {  // rows whose last key is before j
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(j)), last));
  }
  static Mask is_neg_inf(F x) { return _mm256_cmp_ps(x, _mm256_set1_ps(kNegInf), _CMP_EQ_OQ); }
  static F select(Mask m, F if_set, F if_clear) { return _mm256_blendv_ps(if_clear, if_set, m); }
  struct Sums {
    __m256d lo, hi;
  };
  static Sums sums_zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static void add_sums(Sums& s, F x) {
    s.lo = _mm256_add_pd(s.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
    s.hi = _mm256_add_pd(s.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
  }
  // float(1/sum), 0 for a row that saw no key.
  static __m128 inverse(__m256d sum) {
    const __m256d zero = _mm256_setzero_pd();
    return _mm256_cvtpd_ps(_mm256_blendv_pd(_mm256_div_pd(_mm256_set1_pd(1.0), sum), zero,
                                            _mm256_cmp_pd(sum, zero, _CMP_EQ_OQ)));
  }
  static F inverse(const Sums& s) { return _mm256_set_m128(inverse(s.hi), inverse(s.lo)); }
};

#include "engine/attention_reference_order_steps.h"

}  // namespace avx2
#pragma GCC pop_options

// GCC 12 warns that the AVX-512 intrinsics' own _mm512_undefined_* placeholders are uninitialized, as in
// engine/quant_kernels.cpp; -Werror must not trip on it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")
namespace avx512 {

struct V {
  using F = __m512;
  using I = __m512i;
  using Mask = __mmask16;
  static constexpr int kW = 16;
  static constexpr int kScoreKeys = 4;        // measured fastest: two leave query loads unshared, eight spill
  static constexpr int kPvChunks = 4;         // P·V blocks of 4 value vectors...
  static constexpr int kPvAccumulators = 24;  // ...by 6 rows
  static F zero() { return _mm512_setzero_ps(); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F mul_alone(F a, F b) {  // as avx2::V::mul_alone
    F p = _mm512_mul_ps(a, b);
    asm("" : "+v"(p));
    return p;
  }
  static void keep(F& x) { asm("" : "+v"(x)); }  // as avx2::V::keep
  static F exp(F x) { return exp512(x); }
  static I load_last(const int32_t* p) { return _mm512_loadu_si512(p); }
  static Mask key_hidden(int64_t j, I last) {
    return _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(static_cast<int32_t>(j)), last);
  }
  static Mask is_neg_inf(F x) { return _mm512_cmp_ps_mask(x, _mm512_set1_ps(kNegInf), _CMP_EQ_OQ); }
  static F select(Mask m, F if_set, F if_clear) { return _mm512_mask_blend_ps(m, if_clear, if_set); }
  struct Sums {
    __m512d lo, hi;
  };
  static Sums sums_zero() { return {_mm512_setzero_pd(), _mm512_setzero_pd()}; }
  static void add_sums(Sums& s, F x) {
    s.lo = _mm512_add_pd(s.lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
    s.hi = _mm512_add_pd(s.hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
  }
  static __m256 inverse(__m512d sum) {
    const __m512d zero = _mm512_setzero_pd();
    return _mm512_cvtpd_ps(_mm512_mask_blend_pd(_mm512_cmp_pd_mask(sum, zero, _CMP_EQ_OQ),
                                                _mm512_div_pd(_mm512_set1_pd(1.0), sum), zero));
  }
  static F inverse(const Sums& s) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(inverse(s.lo)), inverse(s.hi), 1);
  }
};

#include "engine/attention_reference_order_steps.h"

}  // namespace avx512
#pragma GCC pop_options
#pragma GCC diagnostic pop

}  // namespace

bool reference_order_supported(int64_t head_dim) {
  return simd::has_avx2() && head_dim > 0 && head_dim % 8 == 0;
}

namespace {

// The head's rows laid out in groups of `width` in sc, its slots and value rows; returns the padded row
// count.
int64_t prepare(const ReferenceOrderHead& h, int64_t width, Scratch& sc) {
  const int64_t d = h.d, rows_w = (h.rows + width - 1) / width * width;
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
  const int32_t n_groups = static_cast<int32_t>(sc.slots.key.size() / 8);
  sc.all_groups.resize(static_cast<size_t>(n_groups));
  for (auto& q : sc.quarter_groups) q.clear();
  for (int32_t grp = 0; grp < n_groups; ++grp) {
    sc.all_groups[static_cast<size_t>(grp)] = grp;
    if (h.single_token) sc.quarter_groups[sc.slots.first[static_cast<size_t>(grp)] / 8 % 4].push_back(grp);
  }
  return rows_w;
}

void check_head(const ReferenceOrderHead& h) {
  if (!reference_order_supported(h.d))
    throw std::invalid_argument("attention_reference_order: unsupported head");
}

}  // namespace

void attention_reference_order(const ReferenceOrderHead& h) {
  check_head(h);
  if (h.rows <= 0) return;
  thread_local Scratch sc;
  // DBSA_MAX_ISA below avx512-vnni keeps this kernel on AVX2 as well (the tests run both forms). The
  // 16-row form's P·V takes value sizes in whole 16-float vectors; up to 8 rows (a one-token batch's GQA
  // group) fill 8 lanes as well as 16, with half the work.
  const bool wide = simd::use_avx512() && h.d % 16 == 0 && h.rows > 8;
  const int64_t rows_w = prepare(h, wide ? 16 : 8, sc);
  if (wide)
    avx512::attention(h, rows_w, sc);
  else
    avx2::attention(h, rows_w, sc);
}

void attention_reference_order_decode(ThreadPool& pool, std::span<const ReferenceOrderHead> heads) {
  for (const auto& h : heads) {
    check_head(h);
    if (!h.single_token || h.rows > 8)
      throw std::invalid_argument("attention_reference_order_decode: not a one-token batch of up to 8 rows");
  }
  // The calling thread's scratch, shared by the pool's tasks (a thread_local named inside them would be
  // each worker's own).
  thread_local std::vector<Scratch> own;
  own.resize(std::max(own.size(), heads.size()));
  std::vector<Scratch>& scratch = own;
  const int64_t n_heads = static_cast<int64_t>(heads.size());
  std::vector<int64_t> slots(heads.size());
  pool.parallel_for(n_heads, [&](int64_t i, int) {
    const ReferenceOrderHead& h = heads[static_cast<size_t>(i)];
    Scratch& sc = scratch[static_cast<size_t>(i)];
    if (h.rows > 0) prepare(h, 8, sc);
    slots[static_cast<size_t>(i)] = h.rows > 0 ? sc.n_slots() : 0;
    sc.lanes.resize(static_cast<size_t>(avx2::pv_lanes(h) * 8 * h.d));
  });
  // Scores by runs of slots, then each head's softmax, then P·V by lanes: each value is computed alone,
  // in the order attention_reference_order computes it, so the split changes no bits.
  constexpr int64_t kSlotRun = 1024;
  std::vector<std::pair<int64_t, int64_t>> runs;  // (head, first slot)
  for (int64_t i = 0; i < n_heads; ++i)
    for (int64_t s = 0; s < slots[static_cast<size_t>(i)]; s += kSlotRun) runs.emplace_back(i, s);
  pool.parallel_for(static_cast<int64_t>(runs.size()), [&](int64_t t, int) {
    const auto [i, s0] = runs[static_cast<size_t>(t)];
    const int64_t s1 = std::min(slots[static_cast<size_t>(i)], s0 + kSlotRun);
    avx2::scores_range(heads[static_cast<size_t>(i)], s0, s1, scratch[static_cast<size_t>(i)]);
  });
  pool.parallel_for(n_heads, [&](int64_t i, int) {
    if (slots[static_cast<size_t>(i)] > 0)
      avx2::softmax(0, slots[static_cast<size_t>(i)], scratch[static_cast<size_t>(i)]);
  });
  // Every head is a one-token batch, so all have the same lanes (avx2::pv_lanes).
  constexpr int64_t kLaneRun = 8;
  const int64_t runs_per_head = heads.empty() ? 0 : avx2::pv_lanes(heads[0]) / kLaneRun;
  pool.parallel_for(n_heads * runs_per_head, [&](int64_t t, int) {
    const int64_t i = t / runs_per_head, lane0 = t % runs_per_head * kLaneRun;
    const ReferenceOrderHead& h = heads[static_cast<size_t>(i)];
    if (h.rows > 0)
      avx2::lane_sums(h, 0, slots[static_cast<size_t>(i)], scratch[static_cast<size_t>(i)], lane0,
                      lane0 + kLaneRun);
  });
  pool.parallel_for(n_heads, [&](int64_t i, int) {
    const ReferenceOrderHead& h = heads[static_cast<size_t>(i)];
    if (h.rows > 0) avx2::tree_lanes(h, 0, scratch[static_cast<size_t>(i)]);
  });
}

}  // namespace dbsa
