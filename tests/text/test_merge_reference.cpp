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

// Long single words, the inputs where a merge loop that is not O(n log n) shows: a run of random
// letters, of one repeated character, of digits and of spaces, each against the naive reference at a
// length it can still afford.
std::vector<std::string> long_words(size_t n) {
  std::mt19937 rng(7);
  std::string letters, digits;
  for (size_t i = 0; i < n; ++i) letters += static_cast<char>('a' + rng() % 26);
  for (size_t i = 0; i < n; ++i) digits += static_cast<char>('0' + rng() % 10);
  return {letters, std::string(n, 'a'), digits, std::string(n, ' ') + "x", std::string(n / 2, '\xC3')};
}

TEST(MergeReference, LongWordsMatchTheNaiveReference) {
  const auto& spm =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("tokenizer/ggml-vocab-llama-spm.gguf"));
  const auto& gpt2 =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("tokenizer/ggml-vocab-gpt-2.gguf"));
  const auto& llama3 =
      dynamic_cast<const VocabTokenizer&>(test::fixture_tokenizer("models/tiny-llama3bpe-f16.gguf"));
  auto words = long_words(1500);
  words.pop_back();  // the last one is not valid UTF-8; the megabyte test below refuses it
  for (const std::string& w : words) {
    SCOPED_TRACE(w.substr(0, 12));
    EXPECT_EQ(spm.encode(w, {.add_bos = false}), naive_spm(spm.vocab(), w));
    EXPECT_EQ(gpt2.encode(w, {.add_bos = false}), naive_bpe(gpt2.vocab(), w, false));
    EXPECT_EQ(llama3.encode(w, {.add_bos = false}), naive_bpe(llama3.vocab(), w, true));
  }
}

// A megabyte of each kind, with every tokenizer: it must come back whole through decode (invalid UTF-8
// is refused, naming the offset). Not timed here — bench/tokenizer timings are benchmarks — but a merge
// loop quadratic in the word would take hours, so the suite's timeout catches it.
TEST(MergeReference, MegabyteWordsRoundTrip) {
  const char* vocabs[] = {"tokenizer/ggml-vocab-llama-spm.gguf", "tokenizer/ggml-vocab-gpt-2.gguf",
                          "models/tiny-llama3bpe-f16.gguf"};
  auto words = long_words(1 << 20);
  const std::string invalid = words.back();
  words.pop_back();
  for (const char* v : vocabs) {
    const Tokenizer& t = test::fixture_tokenizer(v);
    for (const std::string& w : words) {
      SCOPED_TRACE(std::string(v) + ": " + w.substr(0, 12));
      const auto ids = t.encode(w, {.add_bos = false});
      EXPECT_LE(ids.size(), w.size() + 1);  // at most one token per character, and the space prefix
      EXPECT_EQ(t.decode(ids), w);
    }
    EXPECT_THROW(t.encode(invalid), TokenizerError);
  }
}

}  // namespace
}  // namespace dbsa
