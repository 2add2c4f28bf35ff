// Sequences longer than the model's context limit are refused before any forward pass: the
// pre-encoding check names a demonstration by file and line, a block, or a dense pool; queries count
// the selected blocks, the query and a label; methods refuse in setup or per query with the numbers.
#include <gtest/gtest.h>

#include <string>

#include "cache/cache_store.h"
#include "method/cache_builder.h"
#include "method/label_decoding.h"
#include "method/method_fixture.h"
#include "method/pool_context_check.h"
#include "method/query.h"

namespace dbsa {
namespace {

using test::tiny;

// Sets the tiny model's limit for one test and restores the file's afterwards (the model is shared).
class LimitGuard {
 public:
  explicit LimitGuard(int64_t tokens) : saved_(tiny().model->context_limit()) {
    tiny().model->set_context_limit(ContextLimit{tokens, "--max-context"});
  }
  ~LimitGuard() { tiny().model->set_context_limit(saved_); }

 private:
  ContextLimit saved_;
};

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ContextLengthError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(PoolContextCheck, NamesTheDemonstrationThenTheBlockThenADensePool) {
  auto pool = test::small_pool(8, 4, 3);
  const ContextLimit limit{40, "--max-context"};
  const auto& tok = *tiny().tok;
  const PromptTemplate& prompt = test::trec().prompt;
  // Demonstrations of TREC questions fit 40 tokens; blocks of four of them do not.
  std::string msg = refusal([&] {
    check_pool_fits(limit, tok, prompt, pool.demos, pool.blocks, pool.tokens, BlockLayout{1, 2});
  });
  EXPECT_HAS(msg, "pre-encoding: block 0 (4 demonstrations): ");
  EXPECT_HAS(msg, "more than the context of 40 tokens (--max-context); use fewer demonstrations per block");

  // One demonstration far too long on its own is named where the user can find it.
  pool.demos[pool.blocks[1][2]].text = std::string(2000, 'a');
  pool.demos[pool.blocks[1][2]].source_file = "data/train.jsonl";
  pool.demos[pool.blocks[1][2]].source_line = 77;
  pool.texts = block_texts(pool.demos, pool.blocks, prompt);
  pool.tokens = tokenize_blocks(tok, pool.texts, false);
  const ContextLimit roomy{400, "--max-context"};
  msg = refusal([&] {
    check_pool_fits(roomy, tok, prompt, pool.demos, pool.blocks, pool.tokens, BlockLayout{1, 2});
  });
  EXPECT_HAS(msg, "pre-encoding: the demonstration at data/train.jsonl:77: ");
  EXPECT_HAS(msg, "shorten or remove it");

  // Blocks that fit, a pool that does not: only a dense layout attends to all of it.
  pool = test::small_pool(8, 4, 3);
  int64_t largest = 0, total = 0;
  for (const auto& t : pool.tokens)
    largest = std::max<int64_t>(largest, static_cast<int64_t>(t.size())),
    total += static_cast<int64_t>(t.size());
  const ContextLimit between{largest, "--max-context"};
  EXPECT_NO_THROW(
      check_pool_fits(between, tok, prompt, pool.demos, pool.blocks, pool.tokens, BlockLayout{1, 2}));
  msg = refusal([&] {
    check_pool_fits(between, tok, prompt, pool.demos, pool.blocks, pool.tokens, BlockLayout::dense());
  });
  EXPECT_HAS(msg, "pre-encoding: the pool (2 blocks) under a dense layout");
  EXPECT_HAS(msg,
             ": " + std::to_string(total) + " tokens, more than the context of " + std::to_string(largest));
}

TEST(PoolContextCheck, BuildingACacheRefusesBeforeAnythingIsWritten) {
  const auto pool = test::small_pool(8, 4, 3);
  const auto root = test::scratch_dir("method_context_refused_build");
  CacheLayoutSpec spec;
  spec.block_demos = 4;
  const auto man = test::tiny_trec_manifest(3);
  const LimitGuard limit(40);
  PreEncodeOptions o;
  const CacheKey key = block_cache_key(man, pool.demos, spec);
  const std::string msg = refusal([&] {
    build_block_cache(*tiny().model, *tiny().tok, CacheStore(root), key, man, pool.demos, pool.blocks, o);
  });
  EXPECT_HAS(msg, "pre-encoding: block 0");
  EXPECT_FALSE(CacheStore(root).contains(key));
}

TEST(QueryContextCheck, CountsContextQueryAndLabel) {
  const auto labels = make_label_set(*tiny().tok, test::trec().labels);
  const int64_t steps = static_cast<int64_t>(labels.max_steps);
  const LimitGuard limit(100);
  EXPECT_NO_THROW(check_query_fits(*tiny().model, 90, 10 - steps, labels, "query: context"));
  const std::string msg = refusal([&] {
    check_query_fits(*tiny().model, 90, 11 - steps, labels, "query: 3 selected blocks", "select fewer");
  });
  EXPECT_EQ(msg, "query: 3 selected blocks + query + label (90 + " + std::to_string(11 - steps) + " + " +
                     std::to_string(steps) +
                     "): 101 tokens, more than the context of 100 tokens (--max-context); "
                     "select fewer");
}

TEST(QueryContextCheck, BlockQueryRefusesALongQueryBeforeRetrievalAndTooManyBlocksAfter) {
  const auto pool = test::small_pool(16, 4, 9);
  PreEncodeOptions o;
  o.chunk_tokens = 64;
  CacheStore store(test::scratch_dir("method_context_query"));
  CacheLayoutSpec spec;
  spec.block_demos = 4;
  const auto man = test::tiny_trec_manifest(9);
  const auto r = build_block_cache(*tiny().model, *tiny().tok, store, block_cache_key(man, pool.demos, spec),
                                   man, pool.demos, pool.blocks, o);
  const BlockCache cache = BlockCache::open(r.dir);
  const auto labels = make_label_set(*tiny().tok, test::trec().labels);
  BlockQuery bq(*tiny().model, cache, *tiny().tok, man.prompt, labels, open_block_bm25(cache));
  QueryConfig cfg;
  cfg.n_select = cache.n_blocks();
  const int64_t sink = cache.block(0).n_tokens();
  const LimitGuard limit(sink + 30);
  std::string msg = refusal([&] { bq.run(std::string(5000, 'x') + " ?", cfg); });
  EXPECT_HAS(msg, "query: sink block + query + label (" + std::to_string(sink) + " + ");
  EXPECT_HAS(msg, "; shorten the query");
  msg = refusal([&] { bq.run("Who wrote Hamlet ?", cfg); });
  EXPECT_HAS(msg, "query: 4 selected blocks + query + label (");
  EXPECT_HAS(msg, "select fewer blocks (--select)");
  cfg.n_select = 1;  // the sink alone fits
  EXPECT_FALSE(bq.run("Who wrote Hamlet ?", cfg).label.empty());
}

TEST(MethodContextCheck, CachedIclRefusesAPoolLongerThanTheContextInSetup) {
  const auto pool = test::small_pool(8, 4, 3);
  auto m =
      make_method("cached-icl", test::method_inputs(pool, 4, 3, test::scratch_dir("method_context_cached")));
  const LimitGuard limit(50);
  const std::string msg = refusal([&] { m->setup({}); });
  EXPECT_HAS(msg, "cached-icl: the pool (2 blocks, 8 demonstrations): ");
  EXPECT_HAS(msg, "more than the context of 50 tokens");
}

TEST(MethodContextCheck, ZeroShotRefusesAQueryLongerThanTheContext) {
  const auto pool = test::small_pool(8, 4, 3);
  auto m =
      make_method("zero-shot", test::method_inputs(pool, 4, 3, test::scratch_dir("method_context_zero")));
  ASSERT_TRUE(m->setup({}));
  const LimitGuard limit(20);
  EXPECT_FALSE(m->predict("Who wrote Hamlet ?").label.empty());
  EXPECT_HAS(refusal([&] { m->predict(std::string(400, 'y') + " ?"); }),
             "query: context + query + label (0 + ");
}

}  // namespace
}  // namespace dbsa
