// Block and label tokenization with the real Llama-2 SentencePiece vocabulary.
#include <gtest/gtest.h>

#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "icl/dataset_loaders.h"
#include "icl/grouping.h"
#include "icl/label_set.h"
#include "icl/pool.h"
#include "model/gguf_file.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

const Tokenizer& spm() {
  static const auto file = GgufFile::open(test::fixture("tokenizer/ggml-vocab-llama-spm.gguf").string());
  static const auto tok = Tokenizer::from_gguf(*file);
  return *tok;
}

const Tokenizer& llama3() {
  static const auto file = GgufFile::open(test::fixture("models/tiny-llama3bpe-f16.gguf").string());
  static const auto tok = Tokenizer::from_gguf(*file);
  return *tok;
}

EncodeOptions plain() {
  EncodeOptions o;
  o.add_bos = false;
  return o;
}

TEST(BlockTokens, SeparatorDropsOnlyTheDummyPrefix) {
  const auto& tok = spm();
  const auto with_prefix = tok.encode("\n==\nQuestion: x", plain());
  ASSERT_FALSE(with_prefix.empty());
  EXPECT_EQ(tok.token_text(with_prefix[0]), "\xE2\x96\x81");  // the paper's token 29871
  EXPECT_EQ(with_prefix[0], 29871);
  const auto ids = encode_after_separator(tok, "\n==\nQuestion: x");
  EXPECT_EQ(std::vector<TokenId>(with_prefix.begin() + 1, with_prefix.end()), ids);
  EXPECT_EQ(ids[0], tok.newline());
}

TEST(BlockTokens, BlocksConcatenateToThePoolTokens) {
  const Dataset ds = load_paper_dataset("trec", test::data(""));
  const Pool pool = draw_pool(ds.train, 60, 11);
  GroupingInput in;
  in.demos = &pool.demos;
  in.prompt = ds.prompt;
  in.block_demos = 10;
  in.seed = 11;
  in.token_count = [&](const std::string& s) { return spm().encode(s, plain()).size(); };
  for (const char* method : {"in-order", "balanced", "bm25-cluster"}) {
    SCOPED_TRACE(method);
    const Blocks blocks = make_grouping(method)->group(in);
    const auto texts = block_texts(pool.demos, blocks, ds.prompt);
    const auto toks = tokenize_blocks(spm(), texts);
    ASSERT_EQ(toks.size(), 6u);
    const BlockTokenCheck c = check_block_tokens(spm(), texts, toks);
    EXPECT_TRUE(c.equal) << "first mismatch at " << c.first_mismatch << " of " << c.joined_tokens;
    EXPECT_EQ(c.block_tokens, c.joined_tokens);
    // Each later block starts with the separator's newline, not with "▁".
    for (std::size_t b = 1; b < toks.size(); ++b) EXPECT_EQ(toks[b][0], spm().newline());
  }
}

TEST(BlockTokens, BosOptionAndQuery) {
  const std::vector<std::string> texts{"Question: a ?\nType: entity", "Question: b ?\nType: human"};
  const auto with_bos = tokenize_blocks(spm(), texts, /*bos=*/true);
  const auto without = tokenize_blocks(spm(), texts, false);
  ASSERT_EQ(with_bos[0].size(), without[0].size() + 1);
  EXPECT_EQ(with_bos[0][0], spm().bos());
  EXPECT_EQ(with_bos[1], without[1]);
  EXPECT_TRUE(check_block_tokens(spm(), texts, with_bos).equal);  // BOS is not part of the pool text
  // The query is the separator + body, its tokens = those of the pool text continued by the query.
  const PromptTemplate t = paper_template("trec");
  const auto q = tokenize_query(spm(), t, "Who is it ?");
  const auto all = spm().encode(texts[0] + format_query(t, "Who is it ?"), plain());
  ASSERT_GE(all.size(), q.size());
  EXPECT_EQ(std::vector<TokenId>(all.end() - static_cast<std::ptrdiff_t>(q.size()), all.end()), q);
  EXPECT_EQ(spm().decode(q), "\n==\nQuestion: Who is it ?\nType:");
}

TEST(BlockTokens, LabelSetOfTrecFineWithSpm) {
  const Dataset ds = load_paper_dataset("trec-fine", test::data(""));
  const LabelSet s = make_label_set(spm(), ds.labels);
  ASSERT_EQ(s.decode_tokens.size(), 50u);
  // A label's tokens are what follows "Type:" in a demonstration.
  for (std::size_t i = 0; i < ds.labels.size(); ++i) {
    const auto demo = spm().encode("Type: " + ds.labels[i], plain());
    const auto prefix = spm().encode("Type:", plain());
    ASSERT_EQ(std::vector<TokenId>(demo.begin() + static_cast<std::ptrdiff_t>(prefix.size()), demo.end()),
              s.full_tokens[i])
        << ds.labels[i];
  }
  // Shortened labels are unique, prefixes of the full labels and each decodes back to its label.
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(s.match(s.decode_tokens[i]), static_cast<int>(i));
    EXPECT_LE(s.decode_tokens[i].size(), s.full_tokens[i].size());
  }
  EXPECT_LT(s.max_steps, 5u);
  // "entity animal" and "entity body" share "entity": the shortened forms keep the second word's start.
  EXPECT_GT(s.decode_tokens[ds.label_index("entity animal")].size(), 1u);
}

TEST(BlockTokens, ByteLevelBpeDropsNothing) {
  const auto& tok = llama3();
  ASSERT_EQ(tok.model_name(), "gpt2");
  EXPECT_EQ(encode_after_separator(tok, "\n==\nquery: x"), tok.encode("\n==\nquery: x", plain()));
  const Dataset ds = load_paper_dataset("banking77", test::data(""));
  const Pool pool = draw_pool(ds.train, 40, 5);
  GroupingInput in;
  in.demos = &pool.demos;
  in.prompt = ds.prompt;
  in.block_demos = 8;
  in.seed = 5;
  const Blocks blocks = make_grouping("balanced")->group(in);
  const auto texts = block_texts(pool.demos, blocks, ds.prompt);
  const auto toks = tokenize_blocks(tok, texts);
  const BlockTokenCheck c = check_block_tokens(tok, texts, toks);
  EXPECT_TRUE(c.equal) << "first mismatch at " << c.first_mismatch << " of " << c.joined_tokens;
  // BPE labels are encoded with their leading space, as they follow "intent:".
  const LabelSet s = make_label_set(tok, ds.labels);
  const auto demo = tok.encode("intent: card arrival", plain());
  const auto prefix = tok.encode("intent:", plain());
  EXPECT_EQ(std::vector<TokenId>(demo.begin() + static_cast<std::ptrdiff_t>(prefix.size()), demo.end()),
            s.full_tokens[static_cast<std::size_t>(ds.label_index("card arrival"))]);
  for (std::size_t i = 0; i < ds.labels.size(); ++i)
    EXPECT_EQ(s.match(s.decode_tokens[i]), static_cast<int>(i));
}

}  // namespace
}  // namespace dbsa
