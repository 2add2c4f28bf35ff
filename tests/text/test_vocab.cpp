// Vocabulary loading and validation: every malformed input is a TokenizerError naming file and key.
#include <gtest/gtest.h>

#include <string>

#include "model/gguf_writer.h"
#include "text/vocab.h"
#include "text/vocab_tokenizer.h"

namespace dbsa {
namespace {

// Expects a TokenizerError whose message contains every one of `parts`.
template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

VocabData small_spm() {
  VocabData d;
  d.source = "small.gguf";
  d.model = "llama";
  d.tokens = {"<unk>", "<s>", "</s>", "<0x0A>", "\xE2\x96\x81", "a", "b"};
  d.scores = {0, 0, 0, 0, -1, -2, -3};
  d.types = {TokenType::Unknown, TokenType::Control, TokenType::Control, TokenType::Byte,
             TokenType::Normal,  TokenType::Normal,  TokenType::Normal};
  d.bos = 1, d.eos = 2, d.unk = 0, d.add_bos = true, d.add_space_prefix = true;
  return d;
}

TEST(Vocab, BuildsIndexes) {
  const Vocab v(small_spm());
  EXPECT_EQ(v.size(), 7);
  EXPECT_EQ(v.find("a"), 5);
  EXPECT_EQ(v.find("zz"), -1);
  EXPECT_EQ(v.byte_token('\n'), 3);
  EXPECT_EQ(v.byte_token('a'), 5);  // no <0x61>: the single-byte token stands in
  EXPECT_EQ(v.byte_token('z'), -1);
  EXPECT_EQ(v.byte_value(3), 0x0A);
  EXPECT_EQ(v.byte_value(5), -1);
  EXPECT_FLOAT_EQ(v.score(6), -3.0f);
  // Special tokens longest first.
  ASSERT_EQ(v.special_tokens().size(), 3u);
  EXPECT_EQ(v.text(v.special_tokens()[0]).size(), 5u);
  expect_error([&] { v.text(7); }, {"small.gguf", "token id 7"});
}

TEST(Vocab, RejectsInconsistentData) {
  expect_error(
      [] {
        auto d = small_spm();
        d.scores.pop_back();
        Vocab{d};
      },
      {"small.gguf", "tokenizer.ggml.scores", "6 entries", "expected 7"});
  expect_error(
      [] {
        auto d = small_spm();
        d.types.push_back(TokenType::Normal);
        Vocab{d};
      },
      {"small.gguf", "tokenizer.ggml.token_type", "8 entries"});
  expect_error(
      [] {
        auto d = small_spm();
        d.bos = 7;
        Vocab{d};
      },
      {"tokenizer.ggml.bos_token_id", "7"});
  expect_error(
      [] {
        auto d = small_spm();
        d.types[5] = TokenType::Byte;
        Vocab{d};
      },
      {"tokenizer.ggml.tokens", "token 5", "<0xXX>"});
  expect_error(
      [] {
        auto d = small_spm();
        d.merges = {"a b", "ab"};
        Vocab{d};
      },
      {"tokenizer.ggml.merges", "entry 1"});
  expect_error(
      [] {
        auto d = small_spm();
        d.tokens.clear(), d.scores.clear(), d.types.clear();
        Vocab{d};
      },
      {"tokenizer.ggml.tokens", "empty"});
}

// A GGUF image holding just tokenizer metadata, parsed back through the real reader.
std::unique_ptr<GgufFile> image(const GgufWriter& w) {
  const auto bytes = w.to_bytes();
  return GgufFile::from_bytes(bytes, "vocab-test.gguf");
}

GgufWriter spm_writer() {
  GgufWriter w;
  const VocabData d = small_spm();
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", d.tokens);
  w.set_array_f32("tokenizer.ggml.scores", d.scores);
  std::vector<int32_t> types;
  for (TokenType t : d.types) types.push_back(static_cast<int32_t>(t));
  w.set_array_i32("tokenizer.ggml.token_type", types);
  return w;
}

TEST(VocabFromGguf, ReadsKeysWithModelDefaults) {
  const auto f = image(spm_writer());
  const VocabData d = read_vocab_data(*f);
  EXPECT_EQ(d.source, "vocab-test.gguf");
  EXPECT_EQ(d.pre, "default");
  EXPECT_EQ(d.tokens.size(), 7u);
  // SentencePiece defaults of the reference when the keys are absent.
  EXPECT_EQ(d.bos, 1);
  EXPECT_EQ(d.eos, 2);
  EXPECT_EQ(d.unk, 0);
  EXPECT_TRUE(d.add_bos);
  EXPECT_FALSE(d.add_eos);
  EXPECT_TRUE(d.add_space_prefix);
  const auto tok = Tokenizer::from_gguf(*f);
  EXPECT_EQ(tok->model_name(), "llama");
  // "a b\n": the space prefix, two letters, the newline byte; "c" has neither token nor byte token.
  EXPECT_EQ(tok->encode("a b\nc"), (std::vector<TokenId>{1, 4, 5, 4, 6, 3, 0}));
}

TEST(VocabFromGguf, ErrorsNameFileAndKey) {
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_array_i32("tokenizer.ggml.tokens", {1, 2, 3});
        read_vocab_data(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.tokens", "array of"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_string("tokenizer.ggml.model", "bert");
        read_vocab_data(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.model", "bert"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_string("tokenizer.ggml.model", "gpt2");  // byte-level BPE needs merges
        read_vocab_data(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.merges", "missing"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_array_f32("tokenizer.ggml.scores", {0, 0});
        Tokenizer::from_gguf(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.scores", "2 entries"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_array_i32("tokenizer.ggml.token_type", {1, 1, 1, 9, 1, 1, 1});
        read_vocab_data(*image(w));
      },
      {"tokenizer.ggml.token_type", "entry 3", "type 9"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_u32("tokenizer.ggml.eos_token_id", 1000);
        Tokenizer::from_gguf(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.eos_token_id", "1000"});
  expect_error(
      [] {
        GgufWriter w = spm_writer();
        w.set_string("tokenizer.ggml.model", "gpt2");
        w.set_string("tokenizer.ggml.pre", "mystery");
        w.set_array_string("tokenizer.ggml.merges", {"a b"});
        Tokenizer::from_gguf(*image(w));
      },
      {"vocab-test.gguf", "tokenizer.ggml.pre", "mystery"});
}

}  // namespace
}  // namespace dbsa
