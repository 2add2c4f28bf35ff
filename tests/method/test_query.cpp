// Query side: block selection rules, and (acceptance a) with S = P = all and every block selected in
// order, the query's logits equal a plain dense forward over the same concatenated text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cache/cache_error.h"
#include "cache/cache_store.h"
#include "engine/sampling.h"
#include "method/block_row_source.h"
#include "method/cache_builder.h"
#include "method/label_decoding.h"
#include "method/method_fixture.h"
#include "method/pre_encoder.h"
#include "method/query.h"

namespace dbsa {
namespace {

using test::tiny;

using test::max_abs;
using test::max_diff;

std::vector<int32_t> ids(const std::vector<SelectedBlock>& s) {
  std::vector<int32_t> v;
  for (const auto& b : s) v.push_back(b.block);
  return v;
}

TEST(SelectBlocks, SinkFirstThenBestInTheChosenOrder) {
  const std::vector<RetrievalHit> hits = {{3, 9.0}, {1, 7.0}, {0, 5.0}, {4, 7.0}, {2, 0.5}};
  EXPECT_EQ(ids(select_blocks(hits, 6, 3, BlockOrder::InOrder)), (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(ids(select_blocks(hits, 6, 4, BlockOrder::InOrder)), (std::vector<int32_t>{0, 1, 3, 4}));
  EXPECT_EQ(ids(select_blocks(hits, 6, 4, BlockOrder::Hi2Lo)), (std::vector<int32_t>{0, 3, 1, 4}));
  EXPECT_EQ(ids(select_blocks(hits, 6, 4, BlockOrder::Lo2Hi)), (std::vector<int32_t>{0, 4, 1, 3}));
  EXPECT_EQ(ids(select_blocks(hits, 6, 4, BlockOrder::Reversed)), (std::vector<int32_t>{0, 4, 3, 1}));
  EXPECT_EQ(ids(select_blocks(hits, 6, kAllBlocks, BlockOrder::InOrder)),
            (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(ids(select_blocks(hits, 6, 99, BlockOrder::InOrder)).size(), 6u);
  EXPECT_EQ(ids(select_blocks(hits, 6, 1, BlockOrder::InOrder)), (std::vector<int32_t>{0}));
  const auto s = select_blocks(hits, 6, 2, BlockOrder::InOrder);
  EXPECT_TRUE(s[0].forced);
  EXPECT_DOUBLE_EQ(s[0].score, 5.0);
  EXPECT_DOUBLE_EQ(s[1].score, 9.0);
  EXPECT_THROW(select_blocks(hits, 6, 0, BlockOrder::InOrder), std::invalid_argument);
  EXPECT_THROW(select_blocks({{{9, 1.0}}}, 6, 2, BlockOrder::InOrder), std::out_of_range);
  EXPECT_EQ(parse_block_order("lo2hi"), BlockOrder::Lo2Hi);
  EXPECT_THROW(parse_block_order("random"), std::invalid_argument);
}

CacheManifest manifest() {
  return test::tiny_trec_manifest(5);
}

// The dense reference: the concatenated text tokenized in one go, one causal forward pass.
// A block cache of `pool` (blocks of 4 demos) pre-encoded with the paper's S = 1, P = 2.
BlockCache build_sparse_cache(const std::string& name, const test::SmallPool& pool) {
  PreEncodeOptions o;
  o.chunk_tokens = 64;
  CacheStore store(test::scratch_dir(name));
  CacheLayoutSpec spec;
  spec.block_demos = 4;
  const auto man = manifest();
  const auto r = build_block_cache(*tiny().model, *tiny().tok, store, block_cache_key(man, pool.demos, spec),
                                   man, pool.demos, pool.blocks, o);
  return BlockCache::open(r.dir);
}

std::vector<float> dense_logits(const std::string& text, const std::vector<int32_t>& expect_tokens) {
  EncodeOptions eo;
  eo.add_bos = false;
  const auto tokens = tiny().tok->encode(text, eo);
  EXPECT_EQ(tokens, expect_tokens) << "the blocks + query do not tokenize like the joined text";
  KvCache c = tiny().model->make_cache(static_cast<int64_t>(tokens.size()));
  ForwardRequest r;
  r.tokens = tokens;
  return tiny().model->forward(c, r).logits;
}

TEST(BlockQuery, DenseBlocksAllSelectedEqualADenseForwardOverTheText) {
  auto& m = *tiny().model;
  const auto pool = test::small_pool(12, 4, 5);
  const std::string question = "What is the capital of Peru ?";
  const auto q = tokenize_query(*tiny().tok, test::trec().prompt, question);
  std::vector<int32_t> all;
  for (const auto& b : pool.tokens) all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), q.begin(), q.end());
  const auto ref =
      dense_logits(joined_pool_text(pool.texts) + format_query(test::trec().prompt, question), all);
  const auto labels = make_label_set(*tiny().tok, test::trec().labels);
  const TokenTrie trie = label_trie(labels);

  // F32 path: the block-sparse encoder with S = P = all, no storage rounding: float tolerance.
  PreEncodeOptions o;
  o.chunk_tokens = 37;
  KvCache kv = pre_encode_kv(m, pool.tokens, BlockLayout::dense(), o);
  Prediction exact;
  answer_query(m, kv, q, labels, trie, true, exact);
  EXPECT_LE(max_diff(exact.last_logits, ref), 1e-5 * max_abs(ref));

  // Through the store (F16 K/V), BM25 selection of all blocks, assembly at contiguous positions.
  CacheStore store(test::scratch_dir("method_query_dense"));
  CacheLayoutSpec spec;
  spec.block_demos = 4;
  spec.pattern = BlockLayout::dense();
  const auto man = manifest();
  const auto r = build_block_cache(m, *tiny().tok, store, block_cache_key(man, pool.demos, spec), man,
                                   pool.demos, pool.blocks, o);
  const BlockCache cache = BlockCache::open(r.dir);
  BlockQuery bq(m, cache, *tiny().tok, man.prompt, labels, open_block_bm25(cache));
  QueryConfig cfg;
  cfg.keep_logits = true;
  const Prediction p = bq.run(question, cfg);
  EXPECT_EQ(ids(p.blocks), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(p.context_tokens, static_cast<int64_t>(all.size() - q.size()));
  EXPECT_EQ(p.query_tokens, static_cast<int64_t>(q.size()));
  // Stored K/V carry F16 rounding (2^-11 relative); through two layers and the output head the logits
  // of this random-weight model move by ~2e-4 of their range (measured); bound 2e-3.
  EXPECT_LE(max_diff(p.last_logits, ref), 2e-3 * max_abs(ref));
  EXPECT_EQ(p.label_id, exact.label_id);
  EXPECT_EQ(p.label, labels.labels[static_cast<size_t>(p.label_id)]);
  EXPECT_FALSE(p.label_tokens.empty());
  EXPECT_LE(p.label_tokens.size(), labels.max_steps);
  EXPECT_GE(p.timings.assembly_s, 0.0);
  EXPECT_GT(p.timings.forward_s, 0.0);
  // Constrained decoding on the dense reference's context picks the same label.
  KvCache dense = m.make_cache(0);
  ForwardRequest fr;
  fr.tokens = all;
  const auto dl = m.forward(dense, fr).logits;
  EXPECT_EQ(constrained_greedy(m, dense, trie, dl).label, p.label_id);
}

TEST(BlockRowSource, ReadsTheRowsAssemblyWouldWrite) {
  const auto pool = test::small_pool(12, 4, 5);
  const BlockCache cache = build_sparse_cache("method_query_rows", pool);
  const std::vector<int32_t> blocks = {0, 2, 1, 2};  // out of order and repeated, as selections may be
  const BlockRowSource src(cache, blocks);
  ASSERT_EQ(src.rows(), cache.total_tokens(blocks));
  const KvShape& s = cache.shape();
  const auto n = static_cast<size_t>(src.rows());
  std::vector<float> k(n * s.row()), v(n * s.row()), got(n * static_cast<size_t>(s.head_dim));
  for (int32_t l = 0; l < s.n_layer; ++l) {
    cache.assemble(blocks, l, k.data(), v.data());
    for (int32_t h = 0; h < s.n_head_kv; ++h)
      for (const bool is_v : {false, true}) {
        // Slices that start and end inside blocks and span block boundaries.
        for (const auto& [first, count] : {std::pair<int64_t, int64_t>{0, src.rows()}, {3, 11}, {7, 1}}) {
          src.read(l, is_v, h, first, count, got.data());
          const auto& want = is_v ? v : k;
          for (int64_t t = 0; t < count; ++t)
            for (int32_t d = 0; d < s.head_dim; ++d)
              ASSERT_EQ(got[static_cast<size_t>(t * s.head_dim + d)],
                        want[(static_cast<size_t>(first + t) * static_cast<size_t>(s.n_head_kv) +
                              static_cast<size_t>(h)) *
                                 static_cast<size_t>(s.head_dim) +
                             static_cast<size_t>(d)])
                  << "layer " << l << " head " << h << " row " << first + t;
        }
      }
  }
  // Every head at once: the rows exactly as assembly lays them out.
  std::vector<float> rows(n * s.row());
  for (int32_t l = 0; l < s.n_layer; ++l) {
    cache.assemble(blocks, l, k.data(), v.data());
    for (const bool is_v : {false, true})
      for (const auto& [first, count] : {std::pair<int64_t, int64_t>{0, src.rows()}, {3, 11}, {7, 1}}) {
        src.read_rows(l, is_v, first, count, rows.data());
        const auto& want = is_v ? v : k;
        for (size_t i = 0; i < static_cast<size_t>(count) * s.row(); ++i)
          ASSERT_EQ(rows[i], want[static_cast<size_t>(first) * s.row() + i])
              << "layer " << l << " value " << i;
      }
  }
  EXPECT_THROW(src.read_rows(0, false, src.rows() - 1, 2, rows.data()), std::out_of_range);
  EXPECT_THROW(src.read(0, false, 0, src.rows() - 1, 2, got.data()), std::out_of_range);
  EXPECT_THROW(src.read(0, false, s.n_head_kv, 0, 1, got.data()), CacheError);
}

TEST(BlockQuery, EmptyTextAndSelectBeyondTheCacheAreRefused) {
  auto& m = *tiny().model;
  const auto pool = test::small_pool(16, 4, 9);
  const auto labels = make_label_set(*tiny().tok, test::trec().labels);
  const BlockCache cache = build_sparse_cache("method_query_refusals", pool);
  BlockQuery bq(m, cache, *tiny().tok, manifest().prompt, labels, open_block_bm25(cache));
  QueryConfig cfg;
  cfg.n_select = 2;
  EXPECT_THROW(bq.run("", cfg), std::invalid_argument);
  EXPECT_THROW(bq.run(" \t\n", cfg), std::invalid_argument);
  cfg.n_select = cache.n_blocks() + 1;
  try {
    bq.run("Who wrote Hamlet ?", cfg);
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("blocks of the cache"), std::string::npos) << e.what();
  }
  cfg.n_select = cache.n_blocks();  // every block, said as a count, is fine
  EXPECT_EQ(bq.run("Who wrote Hamlet ?", cfg).blocks.size(), static_cast<size_t>(cache.n_blocks()));
}

TEST(BlockQuery, SparseBlocksAreMovedToContiguousPositions) {
  auto& m = *tiny().model;
  const auto pool = test::small_pool(16, 4, 9);
  const auto labels = make_label_set(*tiny().tok, test::trec().labels);
  const auto man = manifest();
  const BlockCache cache = build_sparse_cache("method_query_sparse", pool);
  PreEncodeOptions o;  // the paper's S = 1, P = 2, as the cache was built
  o.chunk_tokens = 64;
  BlockQuery bq(m, cache, *tiny().tok, man.prompt, labels, open_block_bm25(cache));
  // A question of block 3 itself: BM25 must rank block 3 first among the non-sink blocks.
  const std::string question = pool.demos[pool.blocks[3][1]].text;
  QueryConfig cfg;
  cfg.n_select = 2;
  cfg.keep_logits = true;
  const Prediction p = bq.run(question, cfg);
  ASSERT_EQ(ids(p.blocks), (std::vector<int32_t>{0, 3}));
  EXPECT_GT(p.blocks[1].score, 0.0);

  // Reference: the F32 pre-encoded rows of blocks 0 and 3 at positions 0..L-1, then the query.
  const KvCache kv = pre_encode_kv(m, pool.tokens, BlockLayout{}, o);
  const auto starts = block_starts_of(pool.tokens);
  KvCache ctx = m.make_cache(0, KeyStorage::PreRope);
  std::vector<int64_t> rows;
  for (const int b : {0, 3})
    for (int64_t t = starts[static_cast<size_t>(b)]; t < starts[static_cast<size_t>(b) + 1]; ++t)
      rows.push_back(t);
  std::vector<int32_t> pos;
  for (size_t i = 0; i < rows.size(); ++i) pos.push_back(static_cast<int32_t>(i));
  ctx.append(pos);
  for (int32_t l = 0; l < ctx.n_layer(); ++l)
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(kv.k(l, rows[i]), kv.row_floats(), ctx.k(l, static_cast<int64_t>(i)));
      std::copy_n(kv.v(l, rows[i]), kv.row_floats(), ctx.v(l, static_cast<int64_t>(i)));
    }
  Prediction ref;
  answer_query(m, ctx, tokenize_query(*tiny().tok, man.prompt, question), labels, label_trie(labels), true,
               ref);
  EXPECT_EQ(p.context_tokens, static_cast<int64_t>(rows.size()));
  EXPECT_LE(max_diff(p.last_logits, ref.last_logits),
            2e-3 * max_abs(ref.last_logits));  // F16 storage, as above
  EXPECT_EQ(p.label_id, ref.label_id);

  // Keeping the blocks at their original positions would give other logits: the re-positioning matters.
  KvCache orig = m.make_cache(0, KeyStorage::PreRope);
  std::vector<int32_t> opos;
  for (const int64_t t : rows) opos.push_back(static_cast<int32_t>(t));
  orig.append(opos);
  for (int32_t l = 0; l < orig.n_layer(); ++l)
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(kv.k(l, rows[i]), kv.row_floats(), orig.k(l, static_cast<int64_t>(i)));
      std::copy_n(kv.v(l, rows[i]), kv.row_floats(), orig.v(l, static_cast<int64_t>(i)));
    }
  const auto qt = tokenize_query(*tiny().tok, man.prompt, question);
  std::vector<int32_t> qpos;
  for (size_t i = 0; i < qt.size(); ++i) qpos.push_back(static_cast<int32_t>(rows.size() + i));
  ForwardRequest fr;
  fr.tokens = qt;
  fr.positions = qpos;
  const auto other = m.forward(orig, fr).logits;
  EXPECT_GT(max_diff(other, ref.last_logits), 1e-3 * max_abs(ref.last_logits));
}

}  // namespace
}  // namespace dbsa
