// The forward pass on small in-memory models against the naive full forward (dense mask), plus the
// equivalences later layers rely on: chunked == unchunked, pre-RoPE == post-RoPE keys, incremental
// decode == batched, block-sparse layouts == their dense masks, moved blocks == blocks encoded there.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/cpu_backend.h"
#include "engine/llama_model.h"
#include "model/dequantize.h"
#include "naive_reference.h"
#include "synthetic_model.h"

namespace dbsa {
namespace {

std::vector<int32_t> random_tokens(size_t n, uint32_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % vocab);
  return t;
}

std::vector<int32_t> iota_pos(size_t n, int32_t start = 0) {
  std::vector<int32_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = start + static_cast<int32_t>(i);
  return p;
}

float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel) {
  ASSERT_EQ(got.size(), want.size());
  const float tol = rel * std::max(1.0f, max_abs(want));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_FALSE(std::isnan(got[i])) << "NaN at " << i;
    ASSERT_NEAR(got[i], want[i], tol) << "at " << i;
  }
}

LlamaModel make_model(const test::SynthOptions& o) {
  return LlamaModel(test::synth_weights(o), std::make_shared<CpuBackend>(2));
}

std::vector<float> all_logits(LlamaModel& m, KvCache& cache, const std::vector<int32_t>& toks,
                              const std::vector<int32_t>& pos, const AttentionLayout* layout = nullptr,
                              int64_t ubatch = 512) {
  ForwardRequest r;
  r.tokens = toks;
  r.positions = pos;
  r.layout = layout;
  r.logits = LogitsMode::All;
  r.ubatch = ubatch;
  return m.forward(cache, r).logits;
}

TEST(Forward, MatchesNaiveForEveryVariant) {
  struct Variant {
    const char* name;
    test::SynthOptions o;
  };
  std::vector<Variant> variants;
  variants.push_back({"llama f32 tied", {}});
  test::SynthOptions qwen;
  qwen.neox = qwen.qkv_bias = true;
  qwen.tied = false;
  qwen.n_head = 6;
  qwen.n_head_kv = 2;
  variants.push_back({"qwen2-like neox+bias+untied", qwen});
  test::SynthOptions f16;
  f16.type = WeightType::F16;
  variants.push_back({"f16 weights", f16});
  test::SynthOptions bf16;
  bf16.type = WeightType::BF16;
  bf16.scaling = RopeScaling::Llama3;
  bf16.scale_factor = 8.0f;
  variants.push_back({"bf16 + llama3 rope", bf16});
  test::SynthOptions lin;
  lin.scaling = RopeScaling::Linear;
  lin.scale_factor = 2.0f;
  lin.n_head_kv = 1;
  variants.push_back({"linear rope, MQA", lin});
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    LlamaModel m = make_model(v.o);
    const auto toks = random_tokens(37, v.o.n_vocab, 9);
    const auto pos = iota_pos(toks.size());
    KvCache cache = m.make_cache(8);
    const auto got = all_logits(m, cache, toks, pos, nullptr, 16);  // three chunks, growing cache
    const auto want = naive::forward(m.weights(), toks, pos, naive::causal_mask(37));
    expect_close(got, want, 2e-4f);
  }
}

TEST(Forward, ExplicitPositionsAndBlockSparseLayoutMatchNaive) {
  LlamaModel m = make_model({});
  const auto toks = random_tokens(45, 97, 4);
  std::vector<int32_t> pos(45);
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(7 * i + (i % 3));
  const std::vector<int64_t> starts = {0, 9, 20, 21, 33, 45};
  const auto layout = AttentionLayout::block_sparse(starts, {1, 1});
  std::vector<char> mask(45 * 45);
  for (int64_t i = 0; i < 45; ++i)
    for (int64_t j = 0; j < 45; ++j) mask[static_cast<size_t>(i * 45 + j)] = layout.allows(i, j);
  KvCache cache = m.make_cache(45, KeyStorage::PreRope);
  const auto got = all_logits(m, cache, toks, pos, &layout, 13);
  expect_close(got, naive::forward(m.weights(), toks, pos, mask), 2e-4f);
}

TEST(Forward, PreRopeAndPostRopeCachesGiveIdenticalLogits) {
  test::SynthOptions o;
  o.neox = true;
  LlamaModel m = make_model(o);
  const auto toks = random_tokens(30, 97, 5);
  KvCache pre = m.make_cache(64, KeyStorage::PreRope), post = m.make_cache(64, KeyStorage::PostRope);
  ForwardRequest r;
  r.tokens = toks;
  r.logits = LogitsMode::All;
  EXPECT_EQ(m.forward(pre, r).logits, m.forward(post, r).logits);
  for (int step = 0; step < 5; ++step) {
    const int32_t one[1] = {static_cast<int32_t>(step * 11 % 97)};
    ForwardRequest d;
    d.tokens = one;
    EXPECT_EQ(m.forward(pre, d).logits, m.forward(post, d).logits) << "decode step " << step;
  }
}

// An F16 cache rounds each K/V value once (relative 2^-11): the logits stay within that of the F32
// cache's, in a pass and in decode steps after it, and incremental decode still equals the batched pass.
// Pre-RoPE caches stay F32 whatever the model's type; the reference order takes no F16 cache.
TEST(Forward, F16CacheStaysCloseToF32AndDecodesAsItPrefills) {
  test::SynthOptions o;
  o.n_head_kv = 1;
  LlamaModel m = make_model(o);
  const auto toks = random_tokens(40, 97, 8);
  KvCache f32 = m.make_cache(64);
  m.set_kv_type(KvType::F16);
  EXPECT_EQ(m.make_cache(8, KeyStorage::PreRope).type(), KvType::F32);
  KvCache f16 = m.make_cache(8);
  ASSERT_EQ(f16.type(), KvType::F16);
  const auto want = all_logits(m, f32, toks, iota_pos(40));
  const auto got = all_logits(m, f16, toks, iota_pos(40));
  expect_close(got, want, 1e-2f);
  EXPECT_NE(got, want);  // the rounding is real
  KvCache inc = m.make_cache(4);
  ForwardRequest r;
  r.tokens = std::span<const int32_t>(toks).first(30);
  auto last = m.forward(inc, r).logits;
  for (size_t i = 30; i < 40; ++i) {
    expect_close(last,
                 std::vector<float>(got.begin() + static_cast<int64_t>((i - 1) * 97),
                                    got.begin() + static_cast<int64_t>(i * 97)),
                 1e-5f);
    ForwardRequest d;
    d.tokens = std::span<const int32_t>(toks).subspan(i, 1);
    last = m.forward(inc, d).logits;
  }
  LlamaModel ref(test::synth_weights(o), std::make_shared<CpuBackend>(2, AttentionOrder::Reference));
  EXPECT_THROW(ref.set_kv_type(KvType::F16), std::invalid_argument);
}

TEST(Forward, IncrementalDecodeEqualsBatchedPass) {
  LlamaModel m = make_model({});
  const auto toks = random_tokens(20, 97, 6);
  KvCache batch = m.make_cache(20);
  const auto all = all_logits(m, batch, toks, iota_pos(20));
  KvCache inc = m.make_cache(4);
  ForwardRequest r;
  r.tokens = std::span<const int32_t>(toks).first(12);
  auto last = m.forward(inc, r).logits;
  for (size_t i = 12; i < 20; ++i) {
    const std::vector<float> want(all.begin() + static_cast<int64_t>((i - 1) * 97),
                                  all.begin() + static_cast<int64_t>(i * 97));
    expect_close(last, want, 1e-5f);
    ForwardRequest d;
    d.tokens = std::span<const int32_t>(toks).subspan(i, 1);
    last = m.forward(inc, d).logits;
  }
  EXPECT_EQ(inc.size(), 20);
}

TEST(Forward, BlockMovedToNewPositionsMatchesBlockEncodedThere) {
  // DBSA query time: a block encoded at positions 50.. is re-rotated to 0.. by rewriting positions of
  // its pre-RoPE keys; RoPE is relative, so the query sees what it would if the block had been encoded
  // at 0.. directly.
  LlamaModel m = make_model({});
  const auto block = random_tokens(12, 97, 7), query = random_tokens(5, 97, 8);
  KvCache far = m.make_cache(32, KeyStorage::PreRope), near = m.make_cache(32, KeyStorage::PreRope);
  ForwardRequest r;
  r.tokens = block;
  r.logits = LogitsMode::None;
  const auto pos_far = iota_pos(12, 50);
  r.positions = pos_far;
  m.forward(far, r);
  r.positions = {};
  m.forward(near, r);
  const auto pos_near = iota_pos(12);
  far.set_positions(0, pos_near);
  ForwardRequest q;
  q.tokens = query;
  q.logits = LogitsMode::All;
  expect_close(m.forward(far, q).logits, m.forward(near, q).logits, 1e-4f);
}

TEST(Forward, CaptureIsFreeWhenOffAndSumsToOne) {
  LlamaModel m = make_model({});
  const auto toks = random_tokens(25, 97, 9);
  KvCache a = m.make_cache(25), b = m.make_cache(25);
  AttentionCapture cap;
  cap.layer = 1;
  cap.head = 3;
  cap.queries = {0, 13, 24};
  ForwardRequest r;
  r.tokens = toks;
  r.logits = LogitsMode::All;
  r.ubatch = 10;
  const auto plain = m.forward(a, r).logits;
  r.capture = &cap;
  EXPECT_EQ(m.forward(b, r).logits, plain);
  ASSERT_EQ(cap.weights.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(cap.weights[i].size(), 25u);
    double s = 0.0;
    for (size_t j = 0; j < 25; ++j) {
      if (static_cast<int64_t>(j) > cap.queries[i]) {
        EXPECT_EQ(cap.weights[i][j], 0.0f);
      }
      s += cap.weights[i][j];
    }
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
  EXPECT_EQ(cap.weights[0][0], 1.0f);
}

TEST(Forward, HiddenStateCallbackSeesEveryRow) {
  LlamaModel m = make_model({});
  const auto toks = random_tokens(23, 97, 10);
  KvCache c = m.make_cache(23);
  int64_t rows = 0;
  ForwardRequest r;
  r.tokens = toks;
  r.logits = LogitsMode::None;
  r.ubatch = 8;
  r.hidden_layer = 0;
  r.on_hidden = [&](int64_t first, int64_t n, const float* h) {
    EXPECT_EQ(first, rows);
    for (int64_t i = 0; i < n * 48; ++i) ASSERT_TRUE(std::isfinite(h[i]));
    rows += n;
  };
  m.forward(c, r);
  EXPECT_EQ(rows, 23);
}

TEST(Forward, RejectsMismatchedInputs) {
  LlamaModel m = make_model({});
  KvCache c = m.make_cache(8);
  const std::vector<int32_t> toks = {1, 2, 3}, pos = {0, 1};
  ForwardRequest r;
  r.tokens = toks;
  r.positions = pos;
  EXPECT_THROW(m.forward(c, r), std::invalid_argument);
  const auto wrong = AttentionLayout::dense_causal(3, 5);
  r.positions = {};
  r.layout = &wrong;
  EXPECT_THROW(m.forward(c, r), std::invalid_argument);
  const std::vector<int32_t> bad = {97};
  ForwardRequest rb;
  rb.tokens = bad;
  EXPECT_THROW(m.forward(c, rb), std::out_of_range);
}

}  // namespace
}  // namespace dbsa

namespace dbsa {
namespace {

TEST(KvCacheRows, F16CacheRoundsStoredRowsAndHalvesTheBytes) {
  KvCache c(2, 2, 4, 3, KeyStorage::PostRope, KvType::F16);
  EXPECT_EQ(c.type(), KvType::F16);
  const int32_t pos[] = {0, 1, 2, 3, 4};
  c.append(pos);  // grows past the capacity of 3
  std::vector<float> k(5 * 8), v(5 * 8);
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = 1.0f + static_cast<float>(i) / 3.0f;
    v[i] = -0.001f * static_cast<float>(i * i);
  }
  for (int32_t l = 0; l < 2; ++l) c.store_rows(l, 0, 5, k.data(), v.data());
  for (size_t i = 0; i < k.size(); ++i) {
    EXPECT_EQ(c.k16(1, 0)[i], f32_to_f16(k[i]));
    EXPECT_EQ(c.v16(1, 0)[i], f32_to_f16(v[i]));
  }
  EXPECT_THROW(c.k(0, 0), std::logic_error);  // an F16 cache has no float rows
  EXPECT_THROW(c.store_rows(0, 3, 3, k.data(), v.data()), std::out_of_range);
  // Erasing moves F16 rows as it moves F32 ones.
  c.erase_rows(1, 3);
  EXPECT_EQ(c.size(), 3);
  EXPECT_EQ(c.k16(0, 1)[0], f32_to_f16(k[3 * 8]));
  EXPECT_EQ(c.v16(0, 2)[7], f32_to_f16(v[4 * 8 + 7]));
  KvCache f32(2, 2, 4, c.capacity(), KeyStorage::PostRope);
  EXPECT_EQ(2 * c.bytes(), f32.bytes());
  EXPECT_THROW(c.k16(0, 0) == nullptr || f32.k16(0, 0), std::logic_error);
  // Pre-RoPE caches (DBSA's encoding and queries) stay F32.
  EXPECT_THROW(KvCache(2, 2, 4, 3, KeyStorage::PreRope, KvType::F16), std::invalid_argument);
  EXPECT_EQ(parse_kv_type("f16"), KvType::F16);
  EXPECT_THROW(parse_kv_type("q8_0"), std::invalid_argument);
}

TEST(KvCacheRows, EraseMovesLaterRowsDownWithTheirPositions) {
  KvCache c(2, 1, 4, 8, KeyStorage::PreRope);
  const int32_t pos[] = {10, 11, 12, 13, 14, 15};
  c.append(pos);
  for (int32_t l = 0; l < 2; ++l)
    for (int64_t r = 0; r < 6; ++r)
      for (int x = 0; x < 4; ++x) {
        c.k(l, r)[x] = static_cast<float>(100 * l + 10 * r + x);
        c.v(l, r)[x] = -c.k(l, r)[x];
      }
  RopeParams rp;
  rp.head_dim = 4;
  rp.n_rot = 4;
  rp.freq_base = 10000.0f;
  c.rope_table(rp);  // built for the old rows: must follow the move
  c.erase_rows(1, 3);
  ASSERT_EQ(c.size(), 4);
  const std::vector<int32_t> kept(c.positions().begin(), c.positions().end());
  EXPECT_EQ(kept, (std::vector<int32_t>{10, 13, 14, 15}));
  const int64_t was[] = {0, 3, 4, 5};
  for (int32_t l = 0; l < 2; ++l)
    for (int64_t r = 0; r < 4; ++r)
      for (int x = 0; x < 4; ++x) {
        EXPECT_EQ(c.k(l, r)[x], static_cast<float>(100 * l + 10 * was[r] + x));
        EXPECT_EQ(c.v(l, r)[x], -static_cast<float>(100 * l + 10 * was[r] + x));
      }
  const RopeTable fresh(rp, kept);
  const RopeTable& t = c.rope_table(rp);
  ASSERT_EQ(t.size(), 4);
  for (int64_t r = 0; r < 4; ++r)
    for (int32_t i = 0; i < 2; ++i) {
      EXPECT_EQ(t.cos_row(r)[i], fresh.cos_row(r)[i]);
      EXPECT_EQ(t.sin_row(r)[i], fresh.sin_row(r)[i]);
    }
  c.erase_rows(2, 2);  // empty: nothing moves
  EXPECT_EQ(c.size(), 4);
  EXPECT_THROW(c.erase_rows(3, 5), std::out_of_range);
  EXPECT_THROW(c.erase_rows(2, 1), std::out_of_range);
}

// The rotated keys must always be k() rotated at the row's current position, whatever happened to the
// rows since: checked against a fresh rotation after appends, an erase, moved positions and a truncate.
TEST(KvCacheRows, RotatedKeysFollowAppendsErasesAndMovedPositions) {
  const int32_t n_head_kv = 2, d = 8;
  KvCache c(3, n_head_kv, d, 4, KeyStorage::PreRope);
  RopeParams rp;
  rp.head_dim = rp.n_rot = d;
  std::mt19937_64 rng(5);
  std::normal_distribution<float> nd;
  const auto fill_new = [&](int64_t from) {
    for (int32_t l = 0; l < c.n_layer(); ++l)
      for (int64_t r = from; r < c.size(); ++r)
        for (int64_t x = 0; x < c.row_floats(); ++x) c.k(l, r)[x] = nd(rng);
  };
  const auto expect_rotated = [&](const char* when) {
    const std::vector<int32_t> pos(c.positions().begin(), c.positions().end());
    const RopeTable fresh(rp, pos);
    for (int32_t l = 0; l < c.n_layer(); ++l) {
      std::vector<float> want(c.k(l, 0), c.k(l, 0) + c.size() * c.row_floats());
      rope_apply(rp, fresh, 0, want.data(), c.size(), n_head_kv);
      const float* got = c.rotated_k(l, rp);
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << when << " layer " << l << " float " << i;
    }
  };
  std::vector<int32_t> pos(6);
  for (int32_t i = 0; i < 6; ++i) pos[static_cast<size_t>(i)] = 7 * i;
  c.append(pos);
  fill_new(0);
  expect_rotated("first rows");
  c.append(std::vector<int32_t>{50, 51, 52});  // grows past the first capacity
  fill_new(6);
  expect_rotated("appended rows");
  c.erase_rows(2, 5);
  expect_rotated("erase");
  c.set_positions(1, std::vector<int32_t>{90, 91});
  expect_rotated("moved positions");
  c.truncate(3);
  c.append(std::vector<int32_t>{4, 5});
  fill_new(3);
  expect_rotated("truncate and refill");
  KvCache post(1, 1, d, 2, KeyStorage::PostRope);
  EXPECT_THROW(post.rotated_k(0, rp), std::logic_error);
  EXPECT_THROW(c.rotated_k(3, rp), std::out_of_range);
}

}  // namespace
}  // namespace dbsa
