// The priority-queue merge loops against a naive quadratic reference written from the definitions:
// SentencePiece merges the adjacent pair with the highest vocabulary score (leftmost on ties), byte-level
// BPE the pair with the lowest merge rank (leftmost on ties), until no pair is mergeable.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "text/pretokenizer.h"
#include "text/unicode_bytes.h"
#include "text/vocab_tokenizer.h"
#include "text_test_util.h"

namespace dbsa {
namespace {

using Ids = std::vector<TokenId>;

std::vector<std::string> utf8_chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_seq_len(static_cast<uint8_t>(s[i]));
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

Ids naive_spm(const Vocab& v, const std::string& raw) {
  std::string text = "\xE2\x96\x81";
  for (char c : raw) text += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
  std::vector<std::string> sym = utf8_chars(text);
  for (;;) {
    int best = -1;
    float best_score = 0;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      const TokenId id = v.find(sym[i] + sym[i + 1]);
      if (id >= 0 && (best < 0 || v.score(id) > best_score))
        best = static_cast<int>(i), best_score = v.score(id);
    }
    if (best < 0) break;
    sym[static_cast<size_t>(best)] += sym[static_cast<size_t>(best) + 1];
    sym.erase(sym.begin() + best + 1);
  }
  Ids out;
  for (const std::string& s : sym) {
    if (const TokenId id = v.find(s); id >= 0) {
      out.push_back(id);
    } else {
      for (char c : s) out.push_back(v.byte_token(static_cast<uint8_t>(c)));
    }
  }
  return out;
}

Ids naive_bpe(const Vocab& v, const std::string& raw, bool whole_word_first) {
  PreTokenizer pre(v.data().pre);
  Ids out;
  std::string scratch;
  for (std::string_view word : pre.split(raw)) {
    const std::string mapped = bytes_to_unicode_text(word);
    if (whole_word_first && v.find(mapped) >= 0) {
      out.push_back(v.find(mapped));
      continue;
    }
    std::vector<std::string> sym = utf8_chars(mapped);
    for (;;) {
      int best = -1;
      int32_t best_rank = 0;
      for (size_t i = 0; i + 1 < sym.size(); ++i) {
        const int32_t r = v.merge_rank(sym[i], sym[i + 1], scratch);
        if (r >= 0 && (best < 0 || r < best_rank)) best = static_cast<int>(i), best_rank = r;
      }
      if (best < 0) break;
      sym[static_cast<size_t>(best)] += sym[static_cast<size_t>(best) + 1];
      sym.erase(sym.begin() + best + 1);
    }
    for (const std::string& s : sym) out.push_back(v.find(s));
  }
  return out;
}

// Random slices of the reference prompts (cut at character boundaries) plus random atoms, so that
// texts hit real merges, ties and byte fallback alike.
std::vector<std::string> random_texts(size_t count, uint32_t seed) {
  const std::string corpus = test::read_file_bytes(test::fixture("reference/long.txt")) +
                             test::read_file_bytes(test::fixture("reference/unicode.txt")) +
                             test::read_file_bytes(test::fixture("tokenizer/llama3.inp"));
  const std::vector<std::string> atoms = {" ",
                                          "  ",
                                          "\n",
                                          "\t",
                                          "3333",
                                          "'re",
                                          "\xE2\x80\x94",
                                          "\xF0\x9F\x99\x82",
                                          "\xE1\x9E\x80",
                                          "\xC3\xA9",
                                          "aaaa",
                                          "ing",
                                          "!!",
                                          "\xE6\x97\xA5\xE6\x9C\xAC"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  while (out.size() < count) {
    size_t a = rng() % corpus.size();
    size_t len = 1 + rng() % 80;
    while (a < corpus.size() && (static_cast<uint8_t>(corpus[a]) & 0xC0) == 0x80) ++a;
    size_t b = std::min(corpus.size(), a + len);
    while (b < corpus.size() && (static_cast<uint8_t>(corpus[b]) & 0xC0) == 0x80) ++b;
    std::string s = corpus.substr(a, b - a);
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) s.insert(0, atoms[rng() % atoms.size()]);
    if (!find_invalid_utf8(s)) out.push_back(s);
  }
  return out;
}

TEST(MergeReference, SpmMatchesNaiveReference) {
  const auto& t =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("tokenizer/ggml-vocab-llama-spm.gguf"));
  for (const std::string& s : random_texts(300, 1)) {
    EXPECT_EQ(t.encode(s, {.add_bos = false}), naive_spm(t.vocab(), s)) << s;
  }
}

TEST(MergeReference, Gpt2MatchesNaiveReference) {
  const auto& t =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("tokenizer/ggml-vocab-gpt-2.gguf"));
  for (const std::string& s : random_texts(300, 2)) {
    EXPECT_EQ(t.encode(s, {.add_bos = false}), naive_bpe(t.vocab(), s, false)) << s;
  }
}

TEST(MergeReference, Llama3MatchesNaiveReference) {
  const auto& t =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("models/tiny-llama3bpe-f16.gguf"));
  for (const std::string& s : random_texts(300, 3)) {
    EXPECT_EQ(t.encode(s, {.add_bos = false}), naive_bpe(t.vocab(), s, true)) << s;
  }
}

}  // namespace
}  // namespace dbsa
