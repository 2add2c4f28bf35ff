#include "engine/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "engine/attention_reference_order.h"
#include "engine/attention_tile_products.h"
#include "engine/matmul.h"
#include "engine/simd_kernels.h"

namespace dbsa {

namespace {

// Query tokens per work item, and the key granularity work items are split at.
constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 256;
// Split pieces are rounded to this many keys only: pieces of nearly equal size keep the threads
// finishing together (rounding to whole 256-key tiles left one thread ~6% more keys).
constexpr int64_t kPieceAlign = 16;
// Bytes of keys and values per tile of an every-head item (item_shape): read in place from the in-memory
// cache, or staged from a prefix source.
constexpr int64_t kCacheTileBytes = 128 * 1024;
constexpr int64_t kStagedTileBytes = 1024 * 1024;
// Rows of exponentials between two prefetch requests for the next stored tile.
constexpr int64_t kPrefetchEvery = 4;
// Keys from which a reference-order decode step splits its heads' work (attention_reference_order_decode).
constexpr int64_t kPhasedDecodeKeys = 1024;

// Keys per streamed tile for `rows` query rows of width d: scores are computed as S^T = K·Q^T and the
// output as O += (S^T)^T·V, the two products OpenBLAS runs through its unpacked small-matrix kernels
// when rows·keys·d <= 1e6 (its cut-off). Measured here: ~112 GFLOP/s per thread for such tiles against
// ~98 for 256-key tiles in the Q·K^T form, which packs both operands on every call.
int64_t key_tile(int64_t rows, int64_t d) {
  const int64_t fit = 1000000 / std::max<int64_t>(1, rows * d) / 16 * 16;
  return std::clamp<int64_t>(fit, 16, kKeyBlock);
}

struct Scratch {
  std::vector<float> qt, s, s_heads, o, m, l, krot, vbuf, mx, shift, sums;
};

struct WorkItem {
  int64_t q0, q1;  // queries
  const AttentionTile* tile;
  int32_t kv_head;    // -1: every KV head (a DBSA query: its stored key tiles are staged whole)
  int64_t kv_lo = 0;  // only keys in [kv_lo, kv_hi) (a split of the item's keys)
  int64_t kv_hi = std::numeric_limits<int64_t>::max();
  int64_t part = -1;  // >= 0: unnormalised partial result for merging; -1: write the output directly
};

// Unnormalised output, running max and sum of one split, merged afterwards (flash-decoding).
struct Partial {
  std::vector<float> o, m, l;
};

void check_args(const AttentionArgs& a) {
  // Keys and values either F32 (k, v) or F16 (k16, v16), both of one kind and none of the other.
  const bool f32 = a.k && a.v, f16 = a.k16 && a.v16;
  if (!a.q || !a.out || !a.layout || f32 == f16 || (a.k || a.v) != f32 || (a.k16 || a.v16) != f16)
    throw std::invalid_argument("attention: null argument, or F32 and F16 rows at once");
  if (f16 && (a.key_rope || a.order != AttentionOrder::Streamed))
    throw std::invalid_argument("attention: an F16 cache holds keys after RoPE, read in the streamed order");
  if (a.n_head_kv <= 0 || a.n_head % a.n_head_kv != 0)
    throw std::invalid_argument("attention: n_head must be a multiple of n_head_kv");
  if ((a.key_rope == nullptr) != (a.key_table == nullptr))
    throw std::invalid_argument("attention: key_rope and key_table go together");
  if (a.k_rotated && !a.key_rope) throw std::invalid_argument("attention: rotated keys need key_rope");
  if (a.key_table && a.key_table->size() < a.n_kv)
    throw std::invalid_argument("attention: the key RoPE table covers fewer rows than the KV view");
  if (a.prefix_rows < 0 || a.prefix_rows > a.n_kv || (a.prefix_rows > 0) != (a.prefix != nullptr))
    throw std::invalid_argument("attention: prefix rows need a prefix source and fit the KV view");
  if (a.prefix && (!a.key_rope || a.prefix->rows() < a.prefix_rows))
    throw std::invalid_argument("attention: a prefix source holds pre-RoPE keys for every prefix row");
  a.layout->validate(a.n_kv);
}

int32_t first_head(const WorkItem& w) {
  return w.kv_head < 0 ? 0 : w.kv_head;
}
int32_t head_count(const AttentionArgs& a, const WorkItem& w) {
  return w.kv_head < 0 ? a.n_head_kv : 1;
}

// Output row of item row r: rows run head by head, then query by query, then GQA group member.
float* out_row(const AttentionArgs& a, const WorkItem& w, int64_t r) {
  const int32_t g = a.n_head / a.n_head_kv;
  const int64_t per_head = (w.q1 - w.q0) * g;
  const int64_t h = first_head(w) + r / per_head, i = (r % per_head) / g, j = r % g;
  return a.out + (w.q0 + i) * static_cast<int64_t>(a.n_head) * a.head_dim + (h * g + j) * a.head_dim;
}

// An item of one score row per KV head (a decode step of a model without GQA) computes its products from
// the cache rows directly, every head of a row in turn (run_rows_tile), instead of widening or rotating
// tiles: over an F16 cache, 32 KV heads of 128 after 4096 tokens, 2 threads, 27-30 -> 37-39 tokens/s; over
// an F32 cache whose keys are rotated already, SmolLM's form without GQA (9 KV heads of 64) after 4096
// tokens 17.8-17.9 -> 25.2-25.3 tokens/s against engine/attention_tile_products.h's tiles (7.6-7.7 through
// sgemm). With GQA (several rows per head) the tiles stayed faster (docs/BENCHMARKS.md). With one row per
// head, qt[hi] is that head's scaled query row, d floats in a run.
bool reads_cache_rows(const AttentionArgs& a, int64_t rows) {
  return rows == 1 && (a.k16 != nullptr || !a.key_rope || a.k_rotated != nullptr);
}

// The sizes one work item runs with.
struct ItemShape {
  int32_t g;         // query heads per KV head
  int64_t d;         // head dimension
  int64_t nq;        // queries
  int64_t rows;      // score rows per KV head (queries x group members)
  int32_t h0, nh;    // first KV head, KV heads
  int64_t all_rows;  // rows * nh
  int64_t tile;      // keys per streamed tile
  int64_t ld;        // score row stride: rows rounded up to whole vectors for the softmax kernels
  bool kernels;      // the tile products run engine/attention_tile_products.h instead of sgemm
  int64_t ldq;       // the transposed queries' row stride: ld for those kernels (zero padding), else rows
  int64_t self_first, self_last;  // KV positions of the item's first and last query
};

ItemShape item_shape(const AttentionArgs& a, const WorkItem& w) {
  ItemShape s{};
  s.g = a.n_head / a.n_head_kv;
  s.d = a.head_dim;
  s.nq = w.q1 - w.q0;
  s.rows = s.nq * s.g;
  s.h0 = first_head(w);
  s.nh = head_count(a, w);
  s.all_rows = s.rows * s.nh;
  s.tile = key_tile(s.rows, s.d);
  // An item over every head (make_items) reads each key tile once per head, a head's slice of every
  // row: tiles of whole rows kept within a byte budget stay in L2 between the heads. The budget was
  // measured per source, 2 threads. Tiles read in place from the in-memory cache (a decode step), after
  // 4096 tokens, 256-key tiles against 128 KB: 8 KV heads of 128, 49 -> 58-61 tokens/s; 32 of 128,
  // 23 -> 26; SmolLM's 3 of 64, 47 -> 48. Tiles staged from the store (a DBSA query, `bench dbsa`, 6
  // blocks of 20 demos, select 4), 256-key tiles against 1 MB: 8 heads 109 -> 104.5 ms a query, 32 heads
  // 181 -> 166.5 (128 KB was slower for them: 110 -> 118).
  if (s.nh > 1) {
    const int64_t budget = a.prefix ? kStagedTileBytes : kCacheTileBytes;
    const int64_t row_bytes = s.nh * s.d * 2 * static_cast<int64_t>(sizeof(float));
    s.tile = std::clamp<int64_t>(budget / row_bytes / 16 * 16, 16, s.tile);
  }
  s.ld = (s.rows + 7) / 8 * 8;
  // Where OpenBLAS would pack both operands of every tile (engine/attention_tile_products.h). Zen 2, 2
  // threads: decode with SmolLM's GQA after 1024 tokens 66-70 -> 75 tokens/s, where sgemm's N is the
  // group size; a DBSA query at 6k context 120-121 -> 109 ms; Q8_0 prefill of 2048 tokens 369-376 ->
  // 381-388 tokens/s. One score row per head over the in-memory cache reads its rows directly instead
  // (reads_cache_rows).
  s.kernels = tile_products_replace_blas(s.d) && !reads_cache_rows(a, s.rows);
  s.ldq = s.kernels ? s.ld : s.rows;
  s.self_first = a.layout->query_kv_offset + w.q0;
  s.self_last = a.layout->query_kv_offset + w.q1 - 1;
  return s;
}

// Zeroed output and softmax statistics, and the item's queries transposed per KV head, qt[hi][x][r]
// (scaled; rows ldq apart, padding zero), so that scores come out key by key: st[j][r].
void start_item(const AttentionArgs& a, const WorkItem& w, const ItemShape& s, Scratch& sc) {
  sc.qt.assign(static_cast<size_t>(s.nh * s.d * s.ldq), 0.0f);
  sc.o.assign(static_cast<size_t>(s.all_rows * s.d), 0.0f);
  sc.s.resize(static_cast<size_t>(s.tile * s.ld));
  sc.m.assign(static_cast<size_t>(s.all_rows), -std::numeric_limits<float>::infinity());
  sc.l.assign(static_cast<size_t>(s.all_rows), 0.0f);
  sc.mx.assign(static_cast<size_t>(s.ld), 0.0f);
  sc.shift.assign(static_cast<size_t>(s.ld), 0.0f);
  sc.sums.resize(static_cast<size_t>(s.ld));
  const int64_t q_stride = static_cast<int64_t>(a.n_head) * s.d;
  for (int32_t hi = 0; hi < s.nh; ++hi)
    for (int64_t i = 0; i < s.nq; ++i)
      for (int32_t j = 0; j < s.g; ++j) {
        const float* src = a.q + (w.q0 + i) * q_stride + (static_cast<int64_t>(s.h0 + hi) * s.g + j) * s.d;
        float* dst = sc.qt.data() + hi * s.d * s.ldq + i * s.g + j;
        for (int64_t x = 0; x < s.d; ++x) dst[x * s.ldq] = src[x] * a.scale;
      }
}

// Where a staged key/value tile of the item's heads lies: key j of head h0+hi at k + hi*khs + j*ldk,
// value at v + hi*d + j*ldv.
struct StagedTile {
  const float* k;
  const float* v;
  int64_t ldk, ldv, khs;
};

// Keys [kb, kb+nk) from the prefix source (stored blocks): items with a prefix cover every head, so whole
// rows are read, one contiguous run each, and rotated to their positions.
StagedTile stage_prefix_tile(const AttentionArgs& a, const ItemShape& s, int64_t kb, int64_t nk,
                             Scratch& sc) {
  const int64_t hkv_d = static_cast<int64_t>(a.n_head_kv) * s.d;
  sc.krot.resize(static_cast<size_t>(s.tile * hkv_d));
  sc.vbuf.resize(static_cast<size_t>(s.tile * hkv_d));
  // Keys are converted and rotated a few rows at a time, so the rotation finds them still in L1.
  constexpr int64_t kStageRows = 16;
  for (int64_t c = 0; c < nk; c += kStageRows) {
    const int64_t n = std::min(kStageRows, nk - c);
    a.prefix->read_rows(a.prefix_layer, false, kb + c, n, sc.krot.data() + c * hkv_d);
    rope_apply(*a.key_rope, *a.key_table, kb + c, sc.krot.data() + c * hkv_d, n, s.nh);
  }
  a.prefix->read_rows(a.prefix_layer, true, kb, nk, sc.vbuf.data());
  return {sc.krot.data(), sc.vbuf.data(), hkv_d, hkv_d, s.d};
}

// Keys [kb, kb+nk) of one head from the in-memory cache (src: key kb, kv_stride apart) into dst, d apart,
// rotated to their positions: pre-RoPE keys without a rotated copy.
void copy_rotated(const AttentionArgs& a, const float* src, int64_t kb, int64_t nk, float* dst) {
  for (int64_t j = 0; j < nk; ++j) {
    float* row = dst + j * a.head_dim;
    std::memcpy(row, src + j * a.kv_stride, static_cast<size_t>(a.head_dim) * sizeof(float));
    rope_rotate_head(*a.key_rope, a.key_table->cos_row(kb + j), a.key_table->sin_row(kb + j), row);
  }
}

// Keys [kb, kb+nk) from the in-memory cache: read in place, as rotated copies head by head when the
// cache holds pre-RoPE keys, or widened from an F16 cache (the item's heads of each row, one run).
StagedTile stage_cache_tile(const AttentionArgs& a, const ItemShape& s, int64_t kb, int64_t nk, Scratch& sc) {
  const int64_t row0 = (kb - a.prefix_rows) * a.kv_stride + static_cast<int64_t>(s.h0) * s.d;
  if (a.k16) {
    const int64_t width = s.nh * s.d;
    sc.krot.resize(static_cast<size_t>(s.tile * width));
    sc.vbuf.resize(static_cast<size_t>(s.tile * width));
    for (int64_t j = 0; j < nk; ++j) {
      simd::f16_to_f32_row(a.k16 + row0 + j * a.kv_stride, sc.krot.data() + j * width, width);
      simd::f16_to_f32_row(a.v16 + row0 + j * a.kv_stride, sc.vbuf.data() + j * width, width);
    }
    return {sc.krot.data(), sc.vbuf.data(), width, width, s.d};
  }
  StagedTile t{(a.k_rotated ? a.k_rotated : a.k) + row0, a.v + row0, a.kv_stride, a.kv_stride, s.d};
  if (!a.key_rope || a.k_rotated) return t;
  sc.krot.resize(static_cast<size_t>(s.tile * s.d * s.nh));
  for (int32_t hi = 0; hi < s.nh; ++hi)
    copy_rotated(a, t.k + hi * s.d, kb, nk, sc.krot.data() + hi * s.tile * s.d);
  t.k = sc.krot.data();
  t.ldk = s.d;
  t.khs = s.tile * s.d;
  return t;
}

// One key tile [kb, kb+nk) for one KV head hi: scores, causal mask, the online-softmax update of the
// head's running max/sum/output, and O += P·V. `next` (rows next_nk from next_kb, 0 for none) is the next
// stored tile, prefetched between rows of exponentials.
void accumulate_tile(const AttentionArgs& a, const ItemShape& s, const StagedTile& t, int32_t hi, int64_t kb,
                     int64_t nk, int64_t next_kb, int64_t next_nk, Scratch& sc, float* scores = nullptr) {
  const int64_t rows = s.rows, ld = s.ld, d = s.d;
  // Causal masking inside the tile: query row r (token self_first + r/g) sees keys up to its own
  // position. Only tiles reaching past the first query's position have masked entries.
  const bool masked = kb + nk - 1 > s.self_first;
  float* st = scores ? scores : sc.s.data();
  const auto fill_masked = [&](float value) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = std::max<int64_t>(0, s.self_first + r / s.g - kb + 1); j < nk; ++j)
        st[j * ld + r] = value;
  };
  float* oh = sc.o.data() + hi * rows * d;
  float* mh = sc.m.data() + hi * rows;
  float* lh = sc.l.data() + hi * rows;
  const float* qh = sc.qt.data() + hi * d * s.ldq;
  if (!scores && s.kernels)
    tile_scores(t.k + hi * t.khs, t.ldk, qh, s.ldq, nk, d, ld, st, ld);
  else if (!scores)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nk), static_cast<int>(rows),
                static_cast<int>(d), 1.0f, t.k + hi * t.khs, static_cast<int>(t.ldk), qh,
                static_cast<int>(s.ldq), 0.0f, st, static_cast<int>(ld));
  if (ld > rows)
    for (int64_t j = 0; j < nk; ++j) std::fill(st + j * ld + rows, st + (j + 1) * ld, 0.0f);
  if (masked) fill_masked(-std::numeric_limits<float>::infinity());
  std::copy(mh, mh + rows, sc.mx.begin());
  simd::max_rows(st, nk, ld, sc.mx.data());
  for (int64_t r = 0; r < rows; ++r) {
    const float m_old = mh[r], m_new = sc.mx[static_cast<size_t>(r)];
    // A row that has seen no key yet keeps max -inf: shift by 0 so its entries stay exp(-inf).
    sc.shift[static_cast<size_t>(r)] = m_new == -std::numeric_limits<float>::infinity() ? 0.0f : m_new;
    if (m_old != m_new) {
      const float corr = std::exp(m_old - m_new);  // 0 on the first visible block (m_old = -inf)
      float* orow = oh + r * d;
      for (int64_t x = 0; x < d; ++x) orow[x] *= corr;
      lh[r] *= corr;
    }
    mh[r] = m_new;
  }
  std::fill(sc.sums.begin(), sc.sums.end(), 0.0f);
  // The next stored tile (if any) is requested a few rows at a time between rows of exponentials: a
  // burst of requests for a whole tile stalls the core until they arrive, so it has to be spread out
  // (measured: 4 exp rows per request ~3% faster per query, bursts per head no faster than none).
  const int64_t exp_rows = next_nk > 0 ? kPrefetchEvery : nk;
  for (int64_t j = 0; j < nk; j += exp_rows) {
    const int64_t jn = std::min(exp_rows, nk - j);
    simd::exp_shift_rows(st + j * ld, jn, ld, sc.shift.data(), masked ? nullptr : sc.sums.data());
    if (next_nk == 0) continue;
    const int64_t slot = hi * nk + j, slots = s.nh * nk;
    const int64_t p0 = next_nk * slot / slots, p1 = next_nk * std::min(slots, slot + jn) / slots;
    if (p1 > p0) a.prefix->prefetch_rows(a.prefix_layer, next_kb + p0, p1 - p0);
  }
  if (masked) {
    // Masked entries must weigh exactly 0 (the polynomial exp of -inf is only tiny): zeroed after the
    // exponentials, which then leave the sums to this loop.
    fill_masked(0.0f);
    for (int64_t j = 0; j < nk; ++j)
      for (int64_t r = 0; r < rows; ++r) sc.sums[static_cast<size_t>(r)] += st[j * ld + r];
  }
  for (int64_t r = 0; r < rows; ++r) lh[r] += sc.sums[static_cast<size_t>(r)];
  if (scores) return;  // the caller adds P·V
  if (s.kernels) return tile_output(st, ld, t.v + hi * d, t.ldv, nk, rows, d, oh, d);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(d),
              static_cast<int>(nk), 1.0f, st, static_cast<int>(ld), t.v + hi * d, static_cast<int>(t.ldv),
              1.0f, oh, static_cast<int>(d));
}

// One key tile [kb, kb+nk) of a one-row-per-head item over the in-memory cache (F16 rows, or F32 rows
// with rotated keys), every head: scores read each cache row once, all its heads in turn (reading one
// head's slice of every row at a time was slower: the strided reads, docs/BENCHMARKS.md), then each
// head's online-softmax update, then P·V row by row the same way.
template <class Row>
void run_rows_tile(const AttentionArgs& a, const ItemShape& s, const Row* k, const Row* v, int64_t kb,
                   int64_t nk, Scratch& sc) {
  const int64_t ld = s.ld, d = s.d, per_head = s.tile * ld;
  sc.s_heads.resize(static_cast<size_t>(s.nh * per_head));  // accumulate_tile zeroes the padding lanes
  const int64_t row0 = (kb - a.prefix_rows) * a.kv_stride + static_cast<int64_t>(s.h0) * d;
  const auto dot = [d](const Row* x, const float* q) {
    if constexpr (std::is_same_v<Row, uint16_t>)
      return simd::dot_f16(x, q, d);
    else
      return simd::dot_f32_f16_order(x, q, d);
  };
  for (int64_t j = 0; j < nk; ++j) {
    const Row* krow = k + row0 + j * a.kv_stride;
    for (int32_t hi = 0; hi < s.nh; ++hi)
      sc.s_heads[static_cast<size_t>(hi * per_head + j * ld)] = dot(krow + hi * d, sc.qt.data() + hi * d);
  }
  const StagedTile none{};
  for (int32_t hi = 0; hi < s.nh; ++hi)
    accumulate_tile(a, s, none, hi, kb, nk, 0, 0, sc, sc.s_heads.data() + hi * per_head);
  for (int64_t j = 0; j < nk; ++j) {
    const Row* vrow = v + row0 + j * a.kv_stride;
    for (int32_t hi = 0; hi < s.nh; ++hi) {
      const float w = sc.s_heads[static_cast<size_t>(hi * per_head + j * ld)];
      if constexpr (std::is_same_v<Row, uint16_t>)
        simd::axpy_f16(w, vrow + hi * d, sc.o.data() + hi * d, d);
      else
        simd::axpy(w, vrow + hi * d, sc.o.data() + hi * d, d);
    }
  }
}

// The item's result: its unnormalised partial (a split, merged later), or the normalised output rows.
void finish_item(const AttentionArgs& a, const WorkItem& w, const ItemShape& s, const Scratch& sc,
                 std::vector<Partial>& partials) {
  if (w.part >= 0) {
    Partial& p = partials[static_cast<size_t>(w.part)];
    p.o = sc.o;
    p.m = sc.m;
    p.l = sc.l;
    return;
  }
  for (int64_t r = 0; r < s.all_rows; ++r) {
    const float l = sc.l[static_cast<size_t>(r)];
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    const float* orow = sc.o.data() + r * s.d;
    float* dst = out_row(a, w, r);
    for (int64_t x = 0; x < s.d; ++x) dst[x] = orow[x] * inv;
  }
}

// AttentionOrder::Reference runs the reference-order kernel over the in-memory cache; a call with a
// prefix is first staged whole (stage_for_reference_order). Heads the kernel cannot run (no AVX2,
// head_dim not a multiple of 8) stream.
bool in_reference_order(const AttentionArgs& a) {
  return a.order == AttentionOrder::Reference && reference_order_supported(a.head_dim);
}

// A call with stored blocks as its prefix, for the reference-order kernel: every row of the KV view
// copied into k/v (keys rotated), so the call becomes one over an in-memory cache of those rows. The
// reference has no stored-block call; this is what it computes over a cache holding the same rows, and
// the same order for every method's queries (`bench dbsa --backend cpu-reference`). The copy costs
// 2·n_kv rows of n_head_kv·head_dim floats per layer, against the streamed path's tile at a time.
AttentionArgs stage_for_reference_order(ThreadPool& pool, const AttentionArgs& a, std::vector<float>& k,
                                        std::vector<float>& v) {
  const int64_t hkv_d = static_cast<int64_t>(a.n_head_kv) * a.head_dim;
  k.resize(static_cast<size_t>(a.n_kv * hkv_d));
  v.resize(static_cast<size_t>(a.n_kv * hkv_d));
  constexpr int64_t kRows = 64;
  pool.parallel_for((a.n_kv + kRows - 1) / kRows, [&](int64_t task, int) {
    const int64_t r0 = task * kRows, r1 = std::min(a.n_kv, r0 + kRows);
    const int64_t p1 = std::clamp(a.prefix_rows, r0, r1);  // rows [r0, p1) come from the prefix
    if (p1 > r0) {
      a.prefix->read_rows(a.prefix_layer, false, r0, p1 - r0, k.data() + r0 * hkv_d);
      a.prefix->read_rows(a.prefix_layer, true, r0, p1 - r0, v.data() + r0 * hkv_d);
    }
    const bool rotate_cache = !a.k_rotated;
    for (int64_t j = p1; j < r1; ++j) {
      const int64_t src = (j - a.prefix_rows) * a.kv_stride;
      std::memcpy(k.data() + j * hkv_d, (a.k_rotated ? a.k_rotated : a.k) + src,
                  static_cast<size_t>(hkv_d) * sizeof(float));
      std::memcpy(v.data() + j * hkv_d, a.v + src, static_cast<size_t>(hkv_d) * sizeof(float));
    }
    rope_apply(*a.key_rope, *a.key_table, r0, k.data() + r0 * hkv_d, (rotate_cache ? r1 : p1) - r0,
               a.n_head_kv);
  });
  AttentionArgs staged = a;
  staged.k = staged.k_rotated = k.data();
  staged.v = v.data();
  staged.kv_stride = hkv_d;
  staged.prefix = nullptr;
  staged.prefix_rows = 0;
  return staged;
}

// Head hi of item w for the reference-order kernel, its rows' pointers held in `rows`; keys as the cache
// holds them (the caller rotates pre-RoPE ones).
struct ReferenceRows {
  std::vector<const float*> q;
  std::vector<float*> out;
  std::vector<int64_t> last;
};
ReferenceOrderHead reference_head(const AttentionArgs& a, const WorkItem& w, const ItemShape& s, int32_t hi,
                                  ReferenceRows& rows) {
  rows.q.resize(static_cast<size_t>(s.rows));
  rows.out.resize(static_cast<size_t>(s.rows));
  rows.last.resize(static_cast<size_t>(s.rows));
  const int64_t q_stride = static_cast<int64_t>(a.n_head) * s.d;
  const int32_t h = s.h0 + hi;
  for (int64_t r = 0; r < s.rows; ++r) {
    const int64_t i = r / s.g, j = r % s.g;
    rows.q[static_cast<size_t>(r)] = a.q + (w.q0 + i) * q_stride + (static_cast<int64_t>(h) * s.g + j) * s.d;
    rows.last[static_cast<size_t>(r)] = s.self_first + i;
    rows.out[static_cast<size_t>(r)] = out_row(a, w, hi * s.rows + r);
  }
  ReferenceOrderHead head;
  head.d = s.d;
  head.rows = s.rows;
  head.q = rows.q.data();
  head.last_key = rows.last.data();
  head.k = (a.k_rotated ? a.k_rotated : a.k) + static_cast<int64_t>(h) * s.d;
  head.ldk = a.kv_stride;
  head.v = a.v + static_cast<int64_t>(h) * s.d;
  head.ldv = a.kv_stride;
  head.ranges = w.tile->ranges;
  head.scale = a.scale;
  head.single_token = a.layout->n_queries == 1;
  head.out = rows.out.data();
  return head;
}

void run_item_reference_order(const AttentionArgs& a, const WorkItem& w) {
  const ItemShape s = item_shape(a, w);
  ReferenceRows rows;
  for (int32_t hi = 0; hi < s.nh; ++hi) {
    ReferenceOrderHead head = reference_head(a, w, s, hi, rows);
    if (a.key_rope && !a.k_rotated) {  // rotate the keys in reach
      thread_local std::vector<float> rotated;
      const int64_t n = std::min(a.n_kv, s.self_last + 1);
      rotated.resize(static_cast<size_t>(n * s.d));
      copy_rotated(a, head.k, 0, n, rotated.data());
      head.k = rotated.data();
      head.ldk = s.d;
    }
    attention_reference_order(head);
  }
}

// One work item: its queries against every visible key of its tile's ranges (within [kv_lo, kv_hi) and
// causal), streamed a tile of keys at a time with an online softmax.
void run_item(const AttentionArgs& a, const WorkItem& w, Scratch& sc, std::vector<Partial>& partials) {
  if (in_reference_order(a)) return run_item_reference_order(a, w);
  const ItemShape s = item_shape(a, w);
  start_item(a, w, s, sc);
  for (const auto& range : w.tile->ranges) {
    const int64_t end = std::min({range.end, s.self_last + 1, w.kv_hi});
    for (int64_t kb = std::max(range.begin, w.kv_lo), nk = 0; kb < end; kb += nk) {
      nk = std::min(s.tile, end - kb);
      const bool from_prefix = kb < a.prefix_rows;
      if (from_prefix) nk = std::min(nk, a.prefix_rows - kb);  // a key block never straddles the prefix end
      if (!from_prefix && reads_cache_rows(a, s.rows)) {
        if (a.k16)
          run_rows_tile(a, s, a.k16, a.v16, kb, nk, sc);
        else
          run_rows_tile(a, s, a.k_rotated ? a.k_rotated : a.k, a.v, kb, nk, sc);
        continue;
      }
      const StagedTile t =
          from_prefix ? stage_prefix_tile(a, s, kb, nk, sc) : stage_cache_tile(a, s, kb, nk, sc);
      const int64_t next_kb = kb + nk;
      int64_t next_nk = 0;
      if (from_prefix && next_kb < end && next_kb < a.prefix_rows)
        next_nk = std::min({s.tile, end - next_kb, a.prefix_rows - next_kb});
      for (int32_t hi = 0; hi < s.nh; ++hi) accumulate_tile(a, s, t, hi, kb, nk, next_kb, next_nk, sc);
    }
  }
  finish_item(a, w, s, sc, partials);
}

// The work items of a call: query blocks of each layout tile, per KV head, later query blocks first.
std::vector<WorkItem> make_items(const AttentionArgs& a) {
  std::vector<WorkItem> items;
  // With stored blocks as the prefix (a DBSA query) an item takes every KV head: its key tiles are then
  // read from the store as whole rows, one contiguous run, instead of once per head with a stride. So
  // does a call of one query block in the streamed order (a decode step): reading one head's quarter of
  // each cache row left the hardware prefetcher fetching the other heads' lines to no use (measured, Q8_0
  // SmolLM decode after 4096 tokens: 33.5 -> 40 tokens/s; prefill no different either way). The
  // reference order does not split an item's keys, so it keeps an item per head for its threads.
  const bool all_heads =
      a.prefix != nullptr || (a.layout->n_queries <= kQueryBlock && !in_reference_order(a));
  for (const auto& t : a.layout->tiles)
    for (int64_t q0 = t.q_begin; q0 < t.q_end; q0 += kQueryBlock)
      for (int32_t h = 0; h < (all_heads ? 1 : a.n_head_kv); ++h)
        items.push_back({q0, std::min(t.q_end, q0 + kQueryBlock), &t, all_heads ? -1 : h});
  // Later query blocks see more keys under causal masking: start them first for better balance.
  std::reverse(items.begin(), items.end());
  return items;
}

// Items split into key pieces, each computing a partial result; `groups` holds each original item with
// the [first, last) range of its pieces' partials.
struct SplitGroup {
  WorkItem item;
  size_t first, last;
};

// Few items (decode, short queries over a long cached context) would leave threads idle: each item's
// keys are split into pieces computed independently and merged with their softmax statistics. Two
// pieces per thread measured fastest for a DBSA query (4 or 6 add merges and shorter GEMM runs, 1 leaves
// a preempted thread's share unshared).
std::vector<SplitGroup> split_items(const AttentionArgs& a, int64_t threads, std::vector<WorkItem>& items) {
  std::vector<SplitGroup> groups;
  const int64_t target = 2 * threads;
  if (threads <= 1 || static_cast<int64_t>(items.size()) >= target) return groups;
  const int64_t per_item =
      (target + static_cast<int64_t>(items.size()) - 1) / static_cast<int64_t>(items.size());
  std::vector<WorkItem> split;
  for (const auto& w : items) {
    const int64_t self_last = a.layout->query_kv_offset + w.q1 - 1;
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    for (const auto& r : w.tile->ranges) {
      const int64_t e = std::min(r.end, self_last + 1);
      if (r.begin < e) {
        lo = std::min(lo, r.begin);
        hi = std::max(hi, e);
      }
    }
    const int64_t pieces = hi > lo ? std::min(per_item, (hi - lo) / kKeyBlock) : 0;
    if (pieces < 2) {
      split.push_back(w);
      continue;
    }
    const int64_t step = ((hi - lo + pieces - 1) / pieces + kPieceAlign - 1) / kPieceAlign * kPieceAlign;
    const size_t first = groups.empty() ? 0 : groups.back().last;
    size_t n_parts = 0;
    for (int64_t b = lo; b < hi; b += step, ++n_parts) {
      WorkItem piece = w;
      piece.kv_lo = b;
      piece.kv_hi = std::min(hi, b + step);
      piece.part = static_cast<int64_t>(first + n_parts);
      split.push_back(piece);
    }
    groups.push_back({w, first, first + n_parts});
  }
  items.swap(split);
  // The KV heads of one key piece run next to each other: they read the same cache lines (a token's
  // heads are adjacent), so the threads share them in cache instead of each streaming the whole
  // context from memory once per head.
  std::stable_sort(items.begin(), items.end(), [](const WorkItem& x, const WorkItem& y) {
    if (x.q0 != y.q0) return x.q0 > y.q0;
    return x.kv_lo > y.kv_lo;
  });
  return groups;
}

// The reference order keeps each row's keys on one thread, but its rows are independent (each row's
// values are computed alone, engine/attention_reference_order.h): few items are cut into query pieces
// instead, so the threads get about the same rows. A DBSA query of 17 tokens over 3 KV heads was 3 items
// on 2 threads, one thread idle for a third of the attention. A piece keeps at least one vector of 8 rows.
void split_queries(const AttentionArgs& a, int64_t threads, std::vector<WorkItem>& items) {
  const int64_t target = 2 * threads, n = static_cast<int64_t>(items.size());
  if (threads <= 1 || n == 0 || n >= target) return;
  const int64_t g = a.n_head / a.n_head_kv;
  const int64_t min_tokens = (8 + g - 1) / g;
  const int64_t per_item = (target + n - 1) / n;
  std::vector<WorkItem> pieces;
  for (const WorkItem& w : items) {
    const int64_t nq = w.q1 - w.q0;
    const int64_t count = std::clamp<int64_t>(nq / min_tokens, 1, per_item);
    for (int64_t p = 0; p < count; ++p) {
      WorkItem piece = w;
      piece.q0 = w.q0 + nq * p / count;
      piece.q1 = w.q0 + nq * (p + 1) / count;
      pieces.push_back(piece);
    }
  }
  items.swap(pieces);
}

// Each split item's output: its pieces rescaled to their common max, added and normalised.
void merge_partials(const AttentionArgs& a, const std::vector<SplitGroup>& groups,
                    const std::vector<Partial>& partials) {
  const int32_t g = a.n_head / a.n_head_kv;
  const int64_t d = a.head_dim;
  for (const auto& [w, first, last] : groups) {
    const int64_t rows = (w.q1 - w.q0) * g * head_count(a, w);
    for (int64_t r = 0; r < rows; ++r) {
      float m = -std::numeric_limits<float>::infinity();
      for (size_t p = first; p < last; ++p) m = std::max(m, partials[p].m[static_cast<size_t>(r)]);
      float* dst = out_row(a, w, r);
      std::fill(dst, dst + d, 0.0f);
      if (m == -std::numeric_limits<float>::infinity()) continue;  // no visible key in any split
      float l = 0.0f;
      for (size_t p = first; p < last; ++p) {
        const float pm = partials[p].m[static_cast<size_t>(r)];
        if (pm == -std::numeric_limits<float>::infinity()) continue;
        const float c = std::exp(pm - m);
        l += c * partials[p].l[static_cast<size_t>(r)];
        simd::axpy(c, partials[p].o.data() + r * d, dst, d);
      }
      simd::scale(1.0f / l, dst, d);
    }
  }
}

}  // namespace

void attention(ThreadPool& pool, const AttentionArgs& a) {
  check_args(a);
  if (a.prefix && in_reference_order(a)) {
    thread_local std::vector<float> k, v;
    return attention(pool, stage_for_reference_order(pool, a, k, v));
  }
  blas_use_single_thread();
  std::vector<WorkItem> items = make_items(a);
  // A decode step in the reference order: its few heads' keys and lanes split over the threads, once
  // the keys are many enough to pay for the phases' five dispatches (Zen 2, Q8_0 SmolLM, 2 threads,
  // tokens/s: after 4096 tokens 21.4-24.0 -> 24.5-27.8, after 1024 the same; after 1 token they cost
  // 111-115 -> 107-109, hence the threshold).
  if (in_reference_order(a) && a.layout->n_queries == 1 && pool.size() > 1 && a.n_kv >= kPhasedDecodeKeys &&
      static_cast<int64_t>(items.size()) < 2 * pool.size() && !(a.key_rope && !a.k_rotated) &&
      a.n_head / a.n_head_kv <= 8) {
    std::vector<ReferenceRows> rows;  // a head's row pointers (moving the vector keeps their buffers)
    std::vector<ReferenceOrderHead> heads;
    for (const WorkItem& w : items) {
      const ItemShape s = item_shape(a, w);
      for (int32_t hi = 0; hi < s.nh; ++hi) heads.push_back(reference_head(a, w, s, hi, rows.emplace_back()));
    }
    return attention_reference_order_decode(pool, heads);
  }
  // The reference order sums each row's keys in one chain: no key splits, query pieces instead.
  std::vector<SplitGroup> groups;
  if (in_reference_order(a))
    split_queries(a, static_cast<int64_t>(pool.size()), items);
  else
    groups = split_items(a, static_cast<int64_t>(pool.size()), items);
  std::vector<Partial> partials(groups.empty() ? 0 : groups.back().last);
  pool.parallel_for(static_cast<int64_t>(items.size()), [&](int64_t i, int) {
    thread_local Scratch sc;
    run_item(a, items[static_cast<size_t>(i)], sc, partials);
  });
  merge_partials(a, groups, partials);
}

std::vector<float> attention_weights(const AttentionArgs& a, int64_t query, int32_t head) {
  check_args(a);
  if (query < 0 || query >= a.layout->n_queries || head < 0 || head >= a.n_head)
    throw std::out_of_range("attention_weights: query or head out of range");
  const int32_t g = a.n_head / a.n_head_kv;
  const int64_t d = a.head_dim;
  const float* qrow = a.q + query * static_cast<int64_t>(a.n_head) * d + static_cast<int64_t>(head) * d;
  const int64_t head_off = static_cast<int64_t>(head / g) * d;
  std::vector<float> w(static_cast<size_t>(a.n_kv), 0.0f);
  std::vector<float> key(static_cast<size_t>(d));
  float mx = -std::numeric_limits<float>::infinity();
  std::vector<char> vis(static_cast<size_t>(a.n_kv), 0);
  for (int64_t j = 0; j < a.n_kv; ++j) {
    if (!a.layout->allows(query, j)) continue;
    if (j < a.prefix_rows)
      a.prefix->read(a.prefix_layer, false, head / g, j, 1, key.data());
    else if (a.k16)
      simd::f16_to_f32_row(a.k16 + (j - a.prefix_rows) * a.kv_stride + head_off, key.data(), d);
    else
      std::memcpy(key.data(), a.k + (j - a.prefix_rows) * a.kv_stride + head_off,
                  static_cast<size_t>(d) * sizeof(float));
    if (a.key_rope)
      rope_rotate_head(*a.key_rope, a.key_table->cos_row(j), a.key_table->sin_row(j), key.data());
    float s = 0.0f;
    for (int64_t x = 0; x < d; ++x) s += qrow[x] * a.scale * key[static_cast<size_t>(x)];
    w[static_cast<size_t>(j)] = s;
    vis[static_cast<size_t>(j)] = 1;
    mx = std::max(mx, s);
  }
  double sum = 0.0;
  for (int64_t j = 0; j < a.n_kv; ++j)
    if (vis[static_cast<size_t>(j)])
      sum += (w[static_cast<size_t>(j)] = std::exp(w[static_cast<size_t>(j)] - mx));
  for (int64_t j = 0; j < a.n_kv; ++j)
    w[static_cast<size_t>(j)] =
        vis[static_cast<size_t>(j)] ? static_cast<float>(w[static_cast<size_t>(j)] / sum) : 0.0f;
  return w;
}

}  // namespace dbsa
