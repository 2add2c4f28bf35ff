// The pre-tokenizers of the llama/mistral/qwen2-architecture families beyond our fixtures' own (SmolLM's
// "smollm", Mistral NeMo's "tekken"), on the GPT-2 fixture vocabulary with its tokenizer.ggml.pre set to
// each: the ids the reference (llama.cpp c392e50, llama-tokenize on the same vocabulary with the key
// rewritten, no BOS) gives. The strings are ones where the three pre-tokenizers give different ids.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/bpe_tokenizer.h"
#include "text/vocab.h"
#include "text_test_util.h"

namespace dbsa {
namespace {

using Ids = std::vector<TokenId>;

Ids encode_with_pre(const std::string& pre, const std::string& text) {
  VocabData d = read_vocab_data(*GgufFile::open(test::fixture("tokenizer/ggml-vocab-gpt-2.gguf").string()));
  d.pre = pre;
  const BpeTokenizer tok{Vocab(std::move(d))};
  EncodeOptions o;
  o.add_bos = false;
  return tok.encode(text, o);
}

TEST(PreTokenizerFamilies, GiveTheReferenceIds) {
  struct Case {
    const char* text;
    Ids gpt2, smollm, tekken;
  };
  const Case cases[] = {
      {"iPhoneX 15Pro",
       {37032, 55, 1315, 2964},
       {37032, 55, 220, 16, 20, 2964},
       {72, 6132, 55, 220, 16, 20, 2964}},
      {"McDonald'S 1999",
       {9742, 7371, 6, 50, 7358},
       {9742, 7371, 6, 50, 220, 16, 24, 24, 24},
       {9742, 7371, 6, 50, 220, 16, 24, 24, 24}},
      {"l33tSp34k",
       {75, 2091, 83, 4561, 2682, 74},
       {75, 18, 18, 83, 4561, 18, 19, 74},
       {75, 18, 18, 83, 4561, 18, 19, 74}},
      {"abc123def 4567 8.9",
       {39305, 10163, 4299, 4153, 3134, 807, 13, 24},
       {39305, 16, 17, 18, 4299, 220, 19, 20, 21, 22, 220, 23, 13, 24},
       {39305, 16, 17, 18, 4299, 220, 19, 20, 21, 22, 220, 23, 13, 24}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(encode_with_pre("gpt-2", c.text), c.gpt2);
    EXPECT_EQ(encode_with_pre("smollm", c.text), c.smollm);
    EXPECT_EQ(encode_with_pre("tekken", c.text), c.tekken);
  }
}

}  // namespace
}  // namespace dbsa
