// Range-list attention against a naive masked softmax over the same layout expanded into a dense mask
// (FlashInfer-style): random layouts, odd lengths, empty ranges and range lists, single tokens, GQA.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

#include "array_row_source.h"
#include "engine/attention.h"
#include "engine/attention_reference_order.h"
#include "model/dequantize.h"
#include "naive_reference.h"

namespace dbsa {
namespace {

std::vector<float> randn(size_t n, std::mt19937_64& rng, float sd = 1.0f) {
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

// Independent expansion of the layout semantics: tile ranges, clipped causally at the query's own key.
std::vector<char> dense_mask(const AttentionLayout& l, int64_t n_kv) {
  std::vector<char> m(static_cast<size_t>(l.n_queries * n_kv), 0);
  for (const auto& t : l.tiles)
    for (int64_t q = t.q_begin; q < t.q_end; ++q)
      for (const auto& r : t.ranges)
        for (int64_t j = r.begin; j < r.end && j <= l.query_kv_offset + q; ++j)
          m[static_cast<size_t>(q * n_kv + j)] = 1;
  return m;
}

AttentionLayout random_layout(std::mt19937_64& rng, int64_t n_q, int64_t offset) {
  AttentionLayout l;
  l.n_queries = n_q;
  l.query_kv_offset = offset;
  const int64_t n_kv = offset + n_q;
  int64_t q = 0;
  while (q < n_q) {
    const int64_t len = std::min<int64_t>(n_q - q, 1 + static_cast<int64_t>(rng() % 90));
    AttentionTile t{q, q + len, {}};
    const int n_ranges = static_cast<int>(rng() % 4);  // 0 = the tile sees nothing
    std::vector<int64_t> cuts;
    for (int i = 0; i < 2 * n_ranges; ++i)
      cuts.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(n_kv + 1)));
    std::sort(cuts.begin(), cuts.end());
    for (int i = 0; i < n_ranges; ++i)
      t.ranges.push_back({cuts[static_cast<size_t>(2 * i)], cuts[static_cast<size_t>(2 * i + 1)]});
    if (rng() % 3 == 0)
      t.ranges.push_back({std::max(cuts.empty() ? 0 : cuts.back(), offset + q), n_kv});  // own segment
    l.tiles.push_back(std::move(t));
    q += len;
  }
  return l;
}

struct Shape {
  int32_t n_head, n_head_kv, d;
};

// Pre-RoPE keys at positions 0..n-1 for the argument checks.
struct KeyRope {
  RopeParams p;
  RopeTable table;
  KeyRope(int32_t d, int32_t n) {
    p.head_dim = p.n_rot = d;
    std::vector<int32_t> pos(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) pos[static_cast<size_t>(i)] = i;
    table = RopeTable(p, pos);
  }
  void attach(AttentionArgs& a) const {
    a.key_rope = &p;
    a.key_table = &table;
  }
};

// Arguments for packed q/k/v arrays ([token][head][d]) as a KvCache lays them out.
AttentionArgs packed_args(const Shape& s, const float* q, const float* k, const float* v, int64_t n_kv,
                          const AttentionLayout& layout, float scale, float* out) {
  AttentionArgs a;
  a.q = q;
  a.k = k;
  a.v = v;
  a.n_kv = n_kv;
  a.kv_stride = static_cast<int64_t>(s.n_head_kv) * s.d;
  a.n_head = s.n_head;
  a.n_head_kv = s.n_head_kv;
  a.head_dim = s.d;
  a.scale = scale;
  a.layout = &layout;
  a.out = out;
  return a;
}

void run_case(ThreadPool& pool, std::mt19937_64& rng, const AttentionLayout& layout, const Shape& s,
              bool pre_rope) {
  const int64_t n_q = layout.n_queries, n_kv = layout.query_kv_offset + n_q;
  const auto q = randn(static_cast<size_t>(n_q * s.n_head * s.d), rng);
  auto k = randn(static_cast<size_t>(n_kv * s.n_head_kv * s.d), rng);
  const auto v = randn(static_cast<size_t>(n_kv * s.n_head_kv * s.d), rng);
  std::vector<float> out(q.size(), 123.0f);
  AttentionArgs a = packed_args(s, q.data(), k.data(), v.data(), n_kv, layout,
                                1.0f / std::sqrt(static_cast<float>(s.d)), out.data());
  RopeParams rp;
  RopeTable table;
  std::vector<float> k_rot = k;
  if (pre_rope) {
    rp.head_dim = rp.n_rot = s.d;
    std::vector<int32_t> pos(static_cast<size_t>(n_kv));
    for (auto& p : pos) p = static_cast<int32_t>(rng() % 5000);
    table = RopeTable(rp, pos);
    rope_apply(rp, table, 0, k_rot.data(), n_kv, s.n_head_kv);
    a.key_rope = &rp;
    a.key_table = &table;
  }
  attention(pool, a);
  const auto mask = dense_mask(layout, n_kv);
  const auto want = naive::attention(q, k_rot, v, n_q, n_kv, s.n_head, s.n_head_kv, s.d, mask, a.scale);
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_FALSE(std::isnan(out[i])) << "NaN at " << i;
    ASSERT_NEAR(out[i], want[i], 2e-5f) << "at " << i;
  }
}

TEST(Attention, RandomRangeLayoutsMatchNaiveMaskedSoftmax) {
  ThreadPool pool(2);
  std::mt19937_64 rng(42);
  const Shape shapes[] = {{4, 2, 16}, {6, 2, 64}, {3, 3, 8}, {2, 1, 32}};
  const int64_t lengths[] = {1, 2, 7, 65, 130, 301};
  int cases = 0;
  for (const auto& s : shapes)
    for (int64_t n_q : lengths)
      for (int64_t offset : {int64_t{0}, int64_t{1}, int64_t{270}}) {
        const auto layout = random_layout(rng, n_q, offset);
        SCOPED_TRACE(::testing::Message() << "heads " << s.n_head << "/" << s.n_head_kv << " d=" << s.d
                                          << " n_q=" << n_q << " offset=" << offset);
        run_case(pool, rng, layout, s, (cases++ % 2) == 1);
      }
}

TEST(Attention, DenseCausalAndSingleToken) {
  ThreadPool pool(2);
  std::mt19937_64 rng(7);
  run_case(pool, rng, AttentionLayout::dense_causal(600, 0), {4, 2, 16}, false);
  run_case(pool, rng, AttentionLayout::dense_causal(1, 0), {4, 2, 16}, false);
  run_case(pool, rng, AttentionLayout::dense_causal(1, 1000), {9, 3, 64}, true);
  // Wide rows (8 KV heads of 128): a decode step's every-head tiles shrink to 16 keys (kCacheTileBytes),
  // a long run of online-softmax updates and split merges.
  run_case(pool, rng, AttentionLayout::dense_causal(1, 700), {16, 8, 128}, false);
  run_case(pool, rng, AttentionLayout::dense_causal(2, 700), {16, 8, 128}, true);
}

TEST(Attention, FewQueriesOverLongContextAreSplitAndMerged) {
  // Decode-shaped work (few items) is split over the keys; pieces that fall in a gap between ranges
  // see nothing and must not disturb the merge.
  ThreadPool pool(2);
  std::mt19937_64 rng(13);
  AttentionLayout l;
  l.n_queries = 3;
  l.query_kv_offset = 1500;
  l.tiles.push_back({0, 3, {{0, 300}, {1100, 1503}}});
  run_case(pool, rng, l, {9, 3, 64}, false);
  run_case(pool, rng, l, {4, 1, 32}, true);
}

// An F16 cache's rows are widened tile by tile as they are read: the same bits as an F32 cache holding
// the rounded values, for prefill (an item per KV head), decode (every head, split over the keys) and
// range layouts. A decode step without GQA (one row per KV head) reads either cache's rows directly, the
// F32 rows' dot products in the F16 ones' order (simd::dot_f32_f16_order): the same bits there too. The
// reference order and pre-RoPE keys refuse an F16 cache.
TEST(Attention, F16CacheGivesTheBitsOfItsValuesInF32) {
  ThreadPool pool(2);
  std::mt19937_64 rng(17);
  const Shape shapes[] = {{6, 2, 64}, {16, 8, 128}, {3, 3, 8}, {32, 32, 128}};
  for (const auto& s : shapes)
    for (const AttentionLayout& layout :
         {AttentionLayout::dense_causal(200, 0), AttentionLayout::dense_causal(1, 1500),
          random_layout(rng, 70, 300)}) {
      const int64_t n_q = layout.n_queries, n_kv = layout.query_kv_offset + n_q;
      const auto q = randn(static_cast<size_t>(n_q * s.n_head * s.d), rng);
      std::vector<float> k = randn(static_cast<size_t>(n_kv * s.n_head_kv * s.d), rng),
                         v = randn(k.size(), rng);
      std::vector<uint16_t> k16(k.size()), v16(v.size());
      for (size_t i = 0; i < k.size(); ++i) {
        k16[i] = f32_to_f16(k[i]);
        v16[i] = f32_to_f16(v[i]);
        k[i] = f16_to_f32(k16[i]);
        v[i] = f16_to_f32(v16[i]);
      }
      std::vector<float> want(q.size()), got(q.size(), 7.0f);
      AttentionArgs a = packed_args(s, q.data(), k.data(), v.data(), n_kv, layout, 0.125f, want.data());
      attention(pool, a);
      a.k = a.v = nullptr;
      a.k16 = k16.data();
      a.v16 = v16.data();
      a.out = got.data();
      attention(pool, a);
      SCOPED_TRACE(::testing::Message()
                   << "heads " << s.n_head << "/" << s.n_head_kv << " d=" << s.d << " n_q=" << n_q);
      ASSERT_EQ(got, want);
      const int64_t query = n_q - 1;
      EXPECT_EQ(
          attention_weights(a, query, s.n_head - 1),
          attention_weights(packed_args(s, q.data(), k.data(), v.data(), n_kv, layout, 0.125f, want.data()),
                            query, s.n_head - 1));
      a.order = AttentionOrder::Reference;
      EXPECT_THROW(attention(pool, a), std::invalid_argument);
    }
  const Shape s{2, 1, 8};
  const auto layout = AttentionLayout::dense_causal(4, 0);
  std::vector<float> q(4 * 2 * 8, 0.5f), out(q.size());
  std::vector<uint16_t> kv(4 * 8, f32_to_f16(0.25f));
  AttentionArgs a = packed_args(s, q.data(), nullptr, nullptr, 4, layout, 1.0f, out.data());
  a.k16 = a.v16 = kv.data();
  const KeyRope rope(8, 4);
  rope.attach(a);
  EXPECT_THROW(attention(pool, a), std::invalid_argument);
  a.key_rope = nullptr;
  a.key_table = nullptr;
  std::vector<float> k32(kv.size(), 0.25f);
  a.k = k32.data();  // F32 and F16 rows at once
  EXPECT_THROW(attention(pool, a), std::invalid_argument);
}

TEST(Attention, EmptyLayoutGivesZerosNotNaN) {
  ThreadPool pool(1);
  std::mt19937_64 rng(3);
  AttentionLayout l;
  l.n_queries = 5;
  l.tiles.push_back({0, 5, {}});
  l.tiles[0].ranges.push_back({0, 0});
  run_case(pool, rng, l, {2, 1, 8}, false);
}

TEST(Attention, PreRopeKeysEqualPostRopeKeys) {
  ThreadPool pool(2);
  std::mt19937_64 rng(11);
  const int64_t n = 300;
  const Shape s{6, 2, 32};
  const auto q = randn(static_cast<size_t>(n * s.n_head * s.d), rng);
  const auto k = randn(static_cast<size_t>(n * s.n_head_kv * s.d), rng);
  const auto v = randn(k.size(), rng);
  RopeParams rp;
  rp.head_dim = rp.n_rot = s.d;
  rp.neox = true;
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(3 * i + 1);
  const RopeTable table(rp, pos);
  auto k_post = k;
  rope_apply(rp, table, 0, k_post.data(), n, s.n_head_kv);
  const auto layout = AttentionLayout::dense_causal(n, 0);
  std::vector<float> out_pre(q.size()), out_post(q.size());
  AttentionArgs a = packed_args(s, q.data(), k_post.data(), v.data(), n, layout, 0.2f, out_post.data());
  attention(pool, a);
  a.k = k.data();
  a.key_rope = &rp;
  a.key_table = &table;
  a.out = out_pre.data();
  attention(pool, a);
  // Same rotation code on the same values: identical bits.
  EXPECT_EQ(out_pre, out_post);
  // Keys rotated ahead of time (a pre-RoPE cache's rotated copy) are read as they are.
  std::vector<float> out_ahead(q.size());
  a.k_rotated = k_post.data();
  a.out = out_ahead.data();
  attention(pool, a);
  EXPECT_EQ(out_ahead, out_post);
  a.key_rope = nullptr;
  a.key_table = nullptr;
  EXPECT_THROW(attention(pool, a), std::invalid_argument);
}

TEST(AttentionLayout, BlockSparseFollowsTheDbsaRule) {
  const std::vector<int64_t> starts = {0, 5, 9, 9, 20, 23, 31};  // includes an empty block
  for (int32_t S : {0, 1, 2, -1})
    for (int32_t P : {0, 1, 2, -1}) {
      const auto l = AttentionLayout::block_sparse(starts, {S, P});
      l.validate(starts.back());
      const int64_t nb = static_cast<int64_t>(starts.size()) - 1;
      auto block_of = [&](int64_t t) {
        int64_t b = 0;
        while (!(t >= starts[static_cast<size_t>(b)] && t < starts[static_cast<size_t>(b) + 1])) ++b;
        return b;
      };
      const int64_t SS = S < 0 ? nb : S, PP = P < 0 ? nb : P;
      for (int64_t i = 0; i < starts.back(); ++i)
        for (int64_t j = 0; j < starts.back(); ++j) {
          const int64_t b = block_of(i), c = block_of(j);
          const bool want = j <= i && (c == b || c < SS || c >= b - PP);
          ASSERT_EQ(l.allows(i, j), want) << "S=" << S << " P=" << P << " i=" << i << " j=" << j;
        }
      // Slicing keeps the same visibility.
      const auto sl = l.slice(7, 22);
      for (int64_t i = 7; i < 22; ++i)
        for (int64_t j = 0; j < starts.back(); ++j) ASSERT_EQ(sl.allows(i - 7, j), l.allows(i, j));
    }
}

TEST(AttentionLayout, ValidateRejectsMalformedLayouts) {
  AttentionLayout l = AttentionLayout::dense_causal(10, 0);
  EXPECT_NO_THROW(l.validate(10));
  EXPECT_THROW(l.validate(9), std::invalid_argument);
  l.tiles[0].ranges = {{0, 5}, {3, 8}};
  EXPECT_THROW(l.validate(10), std::invalid_argument);
  l.tiles[0].ranges = {{0, 5}};
  l.tiles[0].q_end = 9;
  EXPECT_THROW(l.validate(10), std::invalid_argument);
}

using test::ArrayRowSource;

// n_q queries after a 1200-key context in a random layout, keys before RoPE (as the block store holds
// them) at positions pos_step apart: the inputs of the prefix-source tests.
struct PrefixInputs {
  AttentionLayout layout;
  std::vector<float> q, k, v;
  RopeParams rp;
  RopeTable table;
  int64_t n_kv;
  PrefixInputs(std::mt19937_64& rng, const Shape& s, int64_t n_q, int32_t pos_step) {
    const int64_t offset = 1200;
    n_kv = offset + n_q;
    layout = random_layout(rng, n_q, offset);
    q = randn(static_cast<size_t>(n_q * s.n_head * s.d), rng);
    k = randn(static_cast<size_t>(n_kv * s.n_head_kv * s.d), rng);
    v = randn(k.size(), rng);
    rp.head_dim = rp.n_rot = s.d;
    std::vector<int32_t> pos(static_cast<size_t>(n_kv));
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(i) * pos_step;
    table = RopeTable(rp, pos);
  }
};

TEST(Attention, ReferenceOrderThreadSplitsGiveTheSameBits) {
  // With few items the reference order cuts them into query pieces for the threads, and a decode step's
  // heads into runs of keys and lanes (attention_reference_order_decode): each value is computed alone,
  // so any cut gives the bits of one thread's whole items.
  if (!reference_order_supported(32)) GTEST_SKIP() << "no AVX2: the reference order streams";
  std::mt19937_64 rng(31);
  ThreadPool one(1);
  // GQA 3 as SmolLM (17 tokens are 51 rows per KV head), GQA 8 at head size 64, and no GQA.
  for (const Shape s : {Shape{9, 3, 32}, Shape{16, 2, 64}, Shape{4, 4, 40}})
    for (const int64_t n_q : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{17}, int64_t{70}})
      for (const bool rotated_copy : {false, true}) {
        const PrefixInputs in(rng, s, n_q, 1);
        auto k_rot = in.k;
        rope_apply(in.rp, in.table, 0, k_rot.data(), in.n_kv, s.n_head_kv);
        std::vector<float> want(in.q.size()), got(in.q.size());
        AttentionArgs a =
            packed_args(s, in.q.data(), in.k.data(), in.v.data(), in.n_kv, in.layout, 0.2f, want.data());
        a.key_rope = &in.rp;
        a.key_table = &in.table;
        if (rotated_copy) a.k_rotated = k_rot.data();
        a.order = AttentionOrder::Reference;
        attention(one, a);
        for (const int threads : {2, 3, 8}) {
          ThreadPool pool(threads);
          std::fill(got.begin(), got.end(), 7.0f);
          a.out = got.data();
          attention(pool, a);
          ASSERT_EQ(got, want) << "heads " << s.n_head << "/" << s.n_head_kv << " d " << s.d << " n_q " << n_q
                               << (rotated_copy ? " rotated copy, " : ", ") << threads << " threads";
        }
      }
}

TEST(Attention, PrefixSourceRowsEqualStoredRows) {
  // DBSA queries read their context from the block store through a prefix source: the same keys must
  // give the same result whether stored or read, wherever the prefix ends relative to key blocks,
  // range ends and the split of few-query work.
  ThreadPool pool(2);
  std::mt19937_64 rng(17);
  const Shape s{6, 2, 32};
  for (const int64_t n_q : {int64_t{1}, int64_t{5}, int64_t{70}})
    for (const int64_t prefix : {int64_t{1}, int64_t{255}, int64_t{300}, int64_t{1200}}) {
      const PrefixInputs in(rng, s, n_q, 1);
      const auto& [layout, q, k, v, rp, table, n_kv] = in;
      std::vector<float> stored(q.size()), read(q.size());
      AttentionArgs a = packed_args(s, q.data(), k.data(), v.data(), n_kv, layout, 0.17f, stored.data());
      a.key_rope = &rp;
      a.key_table = &table;
      attention(pool, a);
      const ArrayRowSource src(k, v, prefix, static_cast<int64_t>(s.n_head_kv) * s.d, s.d, 4);
      a.prefix = &src;
      a.prefix_layer = 4;
      a.prefix_rows = prefix;
      a.k = k.data() + prefix * a.kv_stride;
      a.v = v.data() + prefix * a.kv_stride;
      a.out = read.data();
      attention(pool, a);
      // Key blocks are cut at the prefix end, so the online softmax sums in other groups: equal up to
      // float rounding.
      for (size_t i = 0; i < read.size(); ++i)
        ASSERT_NEAR(read[i], stored[i], 1e-6f) << "n_q " << n_q << " prefix " << prefix << " at " << i;
      if (layout.allows(n_q - 1, 0)) {
        EXPECT_GT(src.rows_read(), 0);
      }
      AttentionArgs plain = a;
      plain.prefix = nullptr;
      plain.prefix_rows = 0;
      plain.k = k.data();
      plain.v = v.data();
      const auto w_stored = attention_weights(plain, n_q - 1, 5);
      EXPECT_EQ(attention_weights(a, n_q - 1, 5), w_stored);
    }
}

TEST(Attention, ReferenceOrderPrefixGivesTheCachedRowsBits) {
  // In llama.cpp's order a DBSA query's stored blocks are staged into one cache of the same rows: the
  // same bits as those rows held in memory (pre-RoPE or with their rotated copy), wherever the prefix
  // ends, and within float rounding of the streamed order.
  if (!reference_order_supported(32)) GTEST_SKIP() << "no AVX2: the reference order streams";
  ThreadPool pool(2);
  std::mt19937_64 rng(29);
  const Shape s{6, 2, 32};
  for (const int64_t n_q : {int64_t{1}, int64_t{5}, int64_t{70}})
    for (const int64_t prefix : {int64_t{1}, int64_t{300}, int64_t{1200}}) {
      const PrefixInputs in(rng, s, n_q, 2);
      const auto& [layout, q, k, v, rp, table, n_kv] = in;
      auto k_rot = k;
      rope_apply(rp, table, 0, k_rot.data(), n_kv, s.n_head_kv);
      std::vector<float> cached(q.size()), streamed(q.size());
      AttentionArgs a = packed_args(s, q.data(), k.data(), v.data(), n_kv, layout, 0.17f, cached.data());
      a.key_rope = &rp;
      a.key_table = &table;
      a.order = AttentionOrder::Reference;
      attention(pool, a);
      a.order = AttentionOrder::Streamed;
      a.out = streamed.data();
      attention(pool, a);
      const ArrayRowSource src(k, v, prefix, static_cast<int64_t>(s.n_head_kv) * s.d, s.d, 2);
      for (const bool rotated_copy : {false, true}) {
        std::vector<float> read(q.size(), 7.0f);
        AttentionArgs p = a;
        p.order = AttentionOrder::Reference;
        p.prefix = &src;
        p.prefix_layer = 2;
        p.prefix_rows = prefix;
        p.k = k.data() + prefix * a.kv_stride;
        p.v = v.data() + prefix * a.kv_stride;
        p.k_rotated = rotated_copy ? k_rot.data() + prefix * a.kv_stride : nullptr;
        p.out = read.data();
        attention(pool, p);
        ASSERT_EQ(read, cached) << "n_q " << n_q << " prefix " << prefix << " rotated copy " << rotated_copy;
      }
      for (size_t i = 0; i < cached.size(); ++i)
        ASSERT_NEAR(cached[i], streamed[i], 1e-6f) << "n_q " << n_q << " prefix " << prefix << " at " << i;
    }
}

TEST(Attention, PrefixSourceNeedsPreRopeKeysAndFits) {
  ThreadPool pool(1);
  const std::vector<float> k(64, 0.5f), q(16, 1.0f);
  std::vector<float> out(16);
  const auto layout = AttentionLayout::dense_causal(1, 3);
  const ArrayRowSource src(k, k, 2, 16, 16, 0);
  // Rows 0..1 from the source, rows 2..3 stored.
  AttentionArgs a =
      packed_args({1, 1, 16}, q.data(), k.data() + 32, k.data() + 32, 4, layout, 1.0f, out.data());
  a.prefix = &src;
  a.prefix_rows = 2;
  EXPECT_THROW(attention(pool, a), std::invalid_argument);  // no key RoPE: prefix keys are pre-RoPE
  const KeyRope rope(16, 4);
  rope.attach(a);
  a.prefix_rows = 3;  // more rows than the source has
  EXPECT_THROW(attention(pool, a), std::invalid_argument);
}

TEST(Attention, CapturedWeightsAreTheNaiveSoftmax) {
  std::mt19937_64 rng(5);
  const int64_t n = 40;
  const Shape s{4, 2, 16};
  const auto q = randn(static_cast<size_t>(n * s.n_head * s.d), rng);
  const auto k = randn(static_cast<size_t>(n * s.n_head_kv * s.d), rng);
  const std::vector<int64_t> starts = {0, 10, 20, 30, 40};
  const auto layout = AttentionLayout::block_sparse(starts, {1, 1});
  std::vector<float> dummy(1);
  const AttentionArgs a = packed_args(s, q.data(), k.data(), k.data(), n, layout, 0.25f, dummy.data());
  const auto w = attention_weights(a, 35, 3);
  double total = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    if (!layout.allows(35, j)) {
      EXPECT_EQ(w[static_cast<size_t>(j)], 0.0f);
    }
    total += w[static_cast<size_t>(j)];
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
  EXPECT_GT(w[5], 0.0f);   // sink block
  EXPECT_EQ(w[15], 0.0f);  // block 1: neither sink nor previous of block 3
  EXPECT_GT(w[25], 0.0f);  // previous block
}

}  // namespace
}  // namespace dbsa
