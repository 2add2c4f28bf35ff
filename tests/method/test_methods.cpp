// The methods behind one interface, and acceptance (c): retrieval-icl encoded from scratch and the same
// demonstrations served from a KV block cache give the same prediction.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cache/cache_store.h"
#include "method/cache_builder.h"
#include "method/method.h"
#include "method/method_fixture.h"
#include "method/retrieval_prompt.h"

namespace dbsa {
namespace {

using test::tiny;

using test::max_abs;
using test::max_diff;

MethodInputs inputs(const test::SmallPool& pool, size_t block_demos, const std::string& scratch) {
  MethodInputs in =
      test::method_inputs(pool, static_cast<int32_t>(block_demos), 21, test::scratch_dir(scratch));
  in.query.keep_logits = true;
  return in;
}

const char* kQuestions[] = {"What is the capital of Peru ?", "Who wrote the Iliad ?",
                            "How many legs does a spider have ?"};

TEST(Methods, FactoryNamesAndMisuse) {
  const auto pool = test::small_pool(8, 4, 21);
  EXPECT_EQ(method_names().size(), 5u);
  EXPECT_THROW(make_method("prefix-tuning", inputs(pool, 4, "method_factory")), std::invalid_argument);
  auto no_root = inputs(pool, 4, "method_factory");
  no_root.cache_root.clear();
  EXPECT_THROW(make_method("dbsa", no_root), std::invalid_argument);
  auto z = make_method("zero-shot", inputs(pool, 4, "method_factory"));
  EXPECT_THROW(z->predict("x"), std::logic_error);
  auto d = make_method("dbsa", inputs(pool, 4, "method_factory"));
  EXPECT_THROW(d->predict("x"), std::logic_error);
}

TEST(Methods, FullIclDbsaAllAndCachedIclAgree) {
  // Same blocks, dense attention over all of them in pool order, three ways: full-icl (F16 block store),
  // dbsa with S = P = all and every block selected (the same store path), cached-icl (F32 prefix).
  const auto pool = test::small_pool(12, 4, 21);
  auto full = make_method("full-icl", inputs(pool, 4, "method_full"));
  auto in = inputs(pool, 4, "method_dbsa_all");
  in.layout.pattern = BlockLayout::dense();
  in.query.n_select = kAllBlocks;
  auto dbsa = make_method("dbsa", in);
  auto cached = make_method("cached-icl", inputs(pool, 4, "method_cached"));
  for (auto* m : {full.get(), dbsa.get(), cached.get()}) ASSERT_TRUE(m->setup()) << m->name();
  EXPECT_GT(full->kv_bytes(), 0u);
  EXPECT_GT(cached->kv_bytes(), 0u);
  for (const char* q : kQuestions) {
    const Prediction a = full->predict(q), b = dbsa->predict(q), c = cached->predict(q);
    EXPECT_EQ(a.context_tokens, c.context_tokens);
    EXPECT_EQ(a.blocks.size(), 3u);
    EXPECT_EQ(a.label_id, b.label_id) << q;
    EXPECT_EQ(a.label_id, c.label_id) << q;
    EXPECT_EQ(max_diff(a.last_logits, b.last_logits), 0.0);  // the very same cache contents and path
    // F16 block storage vs the F32 prefix cache (see test_query.cpp for the bound).
    EXPECT_LE(max_diff(a.last_logits, c.last_logits), 2e-3 * max_abs(c.last_logits)) << q;
  }
  // cached-icl restores its prefix after each query: asking again gives the same logits exactly.
  EXPECT_EQ(max_diff(cached->predict(kQuestions[0]).last_logits, cached->predict(kQuestions[0]).last_logits),
            0.0);
}

TEST(Methods, RetrievalIclFromScratchEqualsTheSameDemosFromTheCache) {
  const auto pool = test::small_pool(40, 4, 21);
  auto in = inputs(pool, 4, "method_retrieval");
  in.query.n_select = 2;  // k = 2 x 4 demonstrations
  in.query.order = BlockOrder::Lo2Hi;
  auto ret = make_method("retrieval-icl", in);
  ASSERT_TRUE(ret->setup());
  for (const char* q : kQuestions) {
    const Prediction p = ret->predict(q);
    ASSERT_EQ(p.demos.size(), 8u);
    for (size_t i = 1; i < p.demos.size(); ++i) EXPECT_LE(p.demos[i - 1].score, p.demos[i].score);  // lo2hi
    // The chosen demos as a pool of two blocks, dense (S = P = all), served from the store.
    std::vector<Example> chosen;
    for (const auto& d : p.demos) chosen.push_back(pool.demos[static_cast<size_t>(d.demo_id)]);
    const Blocks blocks = {{0, 1, 2, 3}, {4, 5, 6, 7}};
    CacheLayoutSpec spec;
    spec.block_demos = 4;
    spec.pattern = BlockLayout::dense();
    PreEncodeOptions o;
    CacheStore store(test::scratch_dir("method_retrieval_cache"));
    const auto r =
        build_block_cache(*tiny().model, *tiny().tok, store, block_cache_key(in.manifest, chosen, spec),
                          in.manifest, chosen, blocks, o);
    const BlockCache cache = BlockCache::open(r.dir);
    // The two blocks' tokens are the retrieval prompt's tokens: the same text, the same ids.
    std::vector<int32_t> cat = cache.token_ids(std::vector<int32_t>{0, 1});
    EXPECT_EQ(cat, retrieval_prompt_tokens(*tiny().tok, in.manifest.prompt, pool.demos, p.demos, false));
    BlockQuery bq(*tiny().model, cache, *tiny().tok, in.manifest.prompt,
                  make_label_set(*tiny().tok, in.manifest.labels), open_block_bm25(cache));
    QueryConfig cfg;
    cfg.keep_logits = true;
    const Prediction c = bq.run_blocks(q, {{0, 0.0, 0, true}, {1, 0.0, 0, false}}, cfg);
    EXPECT_EQ(c.label_id, p.label_id) << q;
    EXPECT_EQ(c.context_tokens, p.context_tokens);
    EXPECT_LE(max_diff(c.last_logits, p.last_logits), 2e-3 * max_abs(p.last_logits)) << q;  // F16 storage
  }
}

TEST(Methods, DbsaAndZeroShotAnswerWithTheirRecords) {
  const auto pool = test::small_pool(24, 4, 21);
  auto in = inputs(pool, 4, "method_dbsa");
  in.query.n_select = 3;
  auto dbsa = make_method("dbsa", in);
  double last = 0.0;
  ASSERT_TRUE(dbsa->setup([&](double f) { return (last = f) >= 0.0; }));
  EXPECT_DOUBLE_EQ(last, 1.0);
  EXPECT_GT(dbsa->setup_seconds(), 0.0);
  const Prediction p = dbsa->predict(kQuestions[1]);
  ASSERT_EQ(p.blocks.size(), 3u);
  EXPECT_EQ(p.blocks[0].block, 0);
  EXPECT_TRUE(std::is_sorted(p.blocks.begin(), p.blocks.end(),
                             [](const auto& a, const auto& b) { return a.block < b.block; }));
  EXPECT_EQ(p.context_tokens, p.blocks[0].n_tokens + p.blocks[1].n_tokens + p.blocks[2].n_tokens);
  EXPECT_GE(p.label_id, 0);
  // A second dbsa over the same store reuses the cache: no pre-encoding the second time.
  auto again = make_method("dbsa", in);
  ASSERT_TRUE(again->setup());
  EXPECT_EQ(again->predict(kQuestions[1]).last_logits, p.last_logits);

  auto zs = make_method("zero-shot", inputs(pool, 4, "method_zero"));
  ASSERT_TRUE(zs->setup());
  const Prediction z = zs->predict(kQuestions[1]);
  EXPECT_EQ(z.context_tokens, 0);
  EXPECT_TRUE(z.blocks.empty());
  EXPECT_GE(z.label_id, 0);
  EXPECT_EQ(z.last_logits.size(), static_cast<size_t>(tiny().model->hparams().n_vocab));
}

TEST(Methods, CancelledSetupLeavesNoCache) {
  const auto pool = test::small_pool(24, 4, 22);
  auto in = inputs(pool, 4, "method_cancel_setup");
  auto dbsa = make_method("dbsa", in);
  EXPECT_FALSE(dbsa->setup([](double) { return false; }));
  EXPECT_TRUE(CacheStore(in.cache_root).list().empty());
  EXPECT_THROW(dbsa->predict("x"), std::logic_error);
}

}  // namespace
}  // namespace dbsa
