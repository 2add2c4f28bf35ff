#include "engine/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

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
// Rows of exponentials between two prefetch requests for the next stored tile.
constexpr int64_t kPrefetchEvery = 4;

// Keys per streamed tile for `rows` query rows of width d: scores are computed as S^T = K·Q^T and the
// output as O += (S^T)^T·V, the two products OpenBLAS runs through its unpacked small-matrix kernels
// when rows·keys·d <= 1e6 (its cut-off). Measured here: ~112 GFLOP/s per thread for such tiles against
// ~98 for 256-key tiles in the Q·K^T form, which packs both operands on every call.
int64_t key_tile(int64_t rows, int64_t d) {
  const int64_t fit = 1000000 / std::max<int64_t>(1, rows * d) / 16 * 16;
  return std::clamp<int64_t>(fit, 16, kKeyBlock);
}

struct Scratch {
  std::vector<float> qt, s, o, m, l, krot, vbuf, mx, shift, sums;
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
  if (!a.q || !a.k || !a.v || !a.out || !a.layout) throw std::invalid_argument("attention: null argument");
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

void run_item(const AttentionArgs& a, const WorkItem& w, Scratch& sc, std::vector<Partial>& partials) {
  const int32_t g = a.n_head / a.n_head_kv;
  const int64_t d = a.head_dim;
  const int64_t nq = w.q1 - w.q0;
  const int64_t rows = nq * g;  // per KV head
  const int32_t h0 = first_head(w), nh = head_count(a, w);
  const int64_t all_rows = rows * nh;
  const int64_t q_stride = static_cast<int64_t>(a.n_head) * d;
  const int64_t tile = key_tile(rows, d);
  // Score rows hold ld >= rows floats, whole vectors for the softmax kernels (padding columns: zeros).
  const int64_t ld = (rows + 7) / 8 * 8;
  // Queries transposed per KV head, qt[hi][x][r], so that scores come out key by key: st[j][r].
  sc.qt.resize(static_cast<size_t>(all_rows * d));
  sc.o.assign(static_cast<size_t>(all_rows * d), 0.0f);
  sc.s.resize(static_cast<size_t>(tile * ld));
  sc.m.assign(static_cast<size_t>(all_rows), -std::numeric_limits<float>::infinity());
  sc.l.assign(static_cast<size_t>(all_rows), 0.0f);
  sc.mx.assign(static_cast<size_t>(ld), 0.0f);
  sc.shift.assign(static_cast<size_t>(ld), 0.0f);
  sc.sums.resize(static_cast<size_t>(ld));
  for (int32_t hi = 0; hi < nh; ++hi)
    for (int64_t i = 0; i < nq; ++i)
      for (int32_t j = 0; j < g; ++j) {
        const float* src = a.q + (w.q0 + i) * q_stride + (static_cast<int64_t>(h0 + hi) * g + j) * d;
        float* dst = sc.qt.data() + hi * d * rows + i * g + j;
        for (int64_t x = 0; x < d; ++x) dst[x * rows] = src[x] * a.scale;
      }
  const int64_t self_first = a.layout->query_kv_offset + w.q0;
  const int64_t self_last = a.layout->query_kv_offset + w.q1 - 1;
  const int64_t hkv_d = static_cast<int64_t>(a.n_head_kv) * d;

  for (const auto& range : w.tile->ranges) {
    const int64_t end = std::min({range.end, self_last + 1, w.kv_hi});
    for (int64_t kb = std::max(range.begin, w.kv_lo), nk = 0; kb < end; kb += nk) {
      nk = std::min(tile, end - kb);
      const bool from_prefix = kb < a.prefix_rows;
      if (from_prefix) nk = std::min(nk, a.prefix_rows - kb);  // a key block never straddles the prefix end
      // Stage the key/value tile of the item's heads: key of head h0+hi at kp + hi*khs + j*ldk, value
      // at vp + hi*d + j*ldv.
      const float* kp = nullptr;
      const float* vp = nullptr;
      int64_t ldk = a.kv_stride, ldv = a.kv_stride, khs = d;
      if (from_prefix) {  // items with a prefix cover every head: whole rows, one contiguous read each
        sc.krot.resize(static_cast<size_t>(tile * hkv_d));
        sc.vbuf.resize(static_cast<size_t>(tile * hkv_d));
        ldk = ldv = hkv_d;
        // Keys are converted and rotated a few rows at a time, so the rotation finds them still in L1.
        constexpr int64_t kStageRows = 16;
        for (int64_t c = 0; c < nk; c += kStageRows) {
          const int64_t n = std::min(kStageRows, nk - c);
          a.prefix->read_rows(a.prefix_layer, false, kb + c, n, sc.krot.data() + c * ldk);
          for (int64_t j = c; j < c + n; ++j)
            for (int32_t hi = 0; hi < nh; ++hi)
              rope_rotate_head(*a.key_rope, a.key_table->cos_row(kb + j), a.key_table->sin_row(kb + j),
                               sc.krot.data() + j * ldk + hi * d);
        }
        a.prefix->read_rows(a.prefix_layer, true, kb, nk, sc.vbuf.data());
        kp = sc.krot.data();
        vp = sc.vbuf.data();
      } else {
        const int64_t row0 = (kb - a.prefix_rows) * a.kv_stride + static_cast<int64_t>(h0) * d;
        kp = (a.k_rotated ? a.k_rotated : a.k) + row0;
        vp = a.v + row0;
        if (a.key_rope && !a.k_rotated) {  // pre-RoPE keys in the cache: rotated copies, head by head
          sc.krot.resize(static_cast<size_t>(tile * d * nh));
          for (int32_t hi = 0; hi < nh; ++hi)
            for (int64_t j = 0; j < nk; ++j) {
              float* dst = sc.krot.data() + (hi * tile + j) * d;
              std::memcpy(dst, kp + j * a.kv_stride + hi * d, static_cast<size_t>(d) * sizeof(float));
              rope_rotate_head(*a.key_rope, a.key_table->cos_row(kb + j), a.key_table->sin_row(kb + j), dst);
            }
          kp = sc.krot.data();
          ldk = d;
          khs = tile * d;
        }
      }
      // Causal masking inside the tile: query row r (token self_first + r/g) sees keys up to its own
      // position. Only tiles reaching past the first query's position have masked entries.
      const bool masked = kb + nk - 1 > self_first;
      int64_t next_kb = kb + nk, next_nk = 0;
      if (from_prefix && next_kb < end && next_kb < a.prefix_rows)
        next_nk = std::min({tile, end - next_kb, a.prefix_rows - next_kb});
      float* st = sc.s.data();
      const auto fill_masked = [&](float value) {
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = std::max<int64_t>(0, self_first + r / g - kb + 1); j < nk; ++j)
            st[j * ld + r] = value;
      };
      for (int32_t hi = 0; hi < nh; ++hi) {
        float* oh = sc.o.data() + hi * rows * d;
        float* mh = sc.m.data() + hi * rows;
        float* lh = sc.l.data() + hi * rows;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nk), static_cast<int>(rows),
                    static_cast<int>(d), 1.0f, kp + hi * khs, static_cast<int>(ldk),
                    sc.qt.data() + hi * d * rows, static_cast<int>(rows), 0.0f, st, static_cast<int>(ld));
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
          const int64_t slot = hi * nk + j, slots = nh * nk;
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
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(d),
                    static_cast<int>(nk), 1.0f, st, static_cast<int>(ld), vp + hi * d, static_cast<int>(ldv),
                    1.0f, oh, static_cast<int>(d));
      }
    }
  }
  if (w.part >= 0) {
    Partial& p = partials[static_cast<size_t>(w.part)];
    p.o = sc.o;
    p.m = sc.m;
    p.l = sc.l;
    return;
  }
  for (int64_t r = 0; r < all_rows; ++r) {
    const float l = sc.l[static_cast<size_t>(r)];
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    const float* orow = sc.o.data() + r * d;
    float* dst = out_row(a, w, r);
    for (int64_t x = 0; x < d; ++x) dst[x] = orow[x] * inv;
  }
}

}  // namespace

void attention(ThreadPool& pool, const AttentionArgs& a) {
  check_args(a);
  blas_use_single_thread();
  std::vector<WorkItem> items;
  // With stored blocks as the prefix (a DBSA query) an item takes every KV head: its key tiles are then
  // read from the store as whole rows, one contiguous run, instead of once per head with a stride.
  const bool all_heads = a.prefix != nullptr;
  for (const auto& t : a.layout->tiles)
    for (int64_t q0 = t.q_begin; q0 < t.q_end; q0 += kQueryBlock)
      for (int32_t h = 0; h < (all_heads ? 1 : a.n_head_kv); ++h)
        items.push_back({q0, std::min(t.q_end, q0 + kQueryBlock), &t, all_heads ? -1 : h});
  // Later query blocks see more keys under causal masking: start them first for better balance.
  std::reverse(items.begin(), items.end());
  // Few items (decode, short queries over a long cached context) would leave threads idle: split
  // each item's keys into pieces computed independently and merged with their softmax statistics.
  // Two pieces per thread measured fastest for a DBSA query (4 or 6 add merges and shorter GEMM runs,
  // 1 leaves a preempted thread's share unshared).
  const auto target = static_cast<int64_t>(2 * pool.size());
  std::vector<WorkItem> split;
  std::vector<std::pair<size_t, size_t>> groups;  // [first, last) partial indices per original item
  std::vector<WorkItem> group_items;              // the original item of each group
  if (pool.size() > 1 && static_cast<int64_t>(items.size()) < target) {
    const int64_t per_item =
        (target + static_cast<int64_t>(items.size()) - 1) / static_cast<int64_t>(items.size());
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
      const size_t first = groups.empty() ? 0 : groups.back().second;
      size_t n_parts = 0;
      for (int64_t b = lo; b < hi; b += step, ++n_parts) {
        WorkItem piece = w;
        piece.kv_lo = b;
        piece.kv_hi = std::min(hi, b + step);
        piece.part = static_cast<int64_t>(first + n_parts);
        split.push_back(piece);
      }
      groups.emplace_back(first, first + n_parts);
      group_items.push_back(w);
    }
    items.swap(split);
    // The KV heads of one key piece run next to each other: they read the same cache lines (a token's
    // heads are adjacent), so the threads share them in cache instead of each streaming the whole
    // context from memory once per head.
    std::stable_sort(items.begin(), items.end(), [](const WorkItem& x, const WorkItem& y) {
      if (x.q0 != y.q0) return x.q0 > y.q0;
      return x.kv_lo > y.kv_lo;
    });
  }
  std::vector<Partial> partials(groups.empty() ? 0 : groups.back().second);
  pool.parallel_for(static_cast<int64_t>(items.size()), [&](int64_t i, int) {
    thread_local Scratch sc;
    run_item(a, items[static_cast<size_t>(i)], sc, partials);
  });
  if (groups.empty()) return;
  // Merge: rescale every split to the common max, add, normalise.
  const int32_t g = a.n_head / a.n_head_kv;
  const int64_t d = a.head_dim;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const WorkItem& w = group_items[gi];
    const auto [first, last] = groups[gi];
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
