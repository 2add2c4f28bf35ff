// Pre-tokenizer regex splitting (PCRE2) for the supported pre-tokenizer names.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "text/pretokenizer.h"
#include "text/tokenizer.h"

namespace dbsa {
namespace {

std::vector<std::string> split(const std::string& name, const std::string& text) {
  PreTokenizer p(name);
  std::vector<std::string> out;
  for (std::string_view v : p.split(text)) out.emplace_back(v);
  return out;
}

using V = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "Hello world's  test 123"), (V{"Hello", " world", "'s", " ", " test", " 123"}));
  // Only lowercase contractions, and digits stay one run.
  EXPECT_EQ(split("gpt-2", "I'M 1234567"), (V{"I", "'", "M", " 1234567"}));
  // The lookahead leaves the last newline before a word on its own, as in GPT-2.
  EXPECT_EQ(split("gpt-2", "a\n\nb  "), (V{"a", "\n", "\n", "b", "  "}));
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(split("llama-bpe", "1234567"), (V{"123", "456", "7"}));
  EXPECT_EQ(split("llama-bpe", "I'M here"), (V{"I", "'M", " here"}));
  EXPECT_EQ(split("llama-bpe", "x   y"), (V{"x", "  ", " y"}));
  EXPECT_EQ(split("llama-bpe", "a\n\nb"), (V{"a", "\n\n", "b"}));
  EXPECT_EQ(split("llama-bpe", "(hi)!\n"), (V{"(hi", ")!\n"}));
  // \p{L} is Unicode-aware: accented and CJK letters stay in words.
  EXPECT_EQ(split("llama-bpe", " \xC3\x9Cn\xC3\xAF \xE6\x97\xA5\xE6\x9C\xAC"),
            (V{" \xC3\x9Cn\xC3\xAF", " \xE6\x97\xA5\xE6\x9C\xAC"}));
  // Long s is not case-folded into the 's contraction.
  EXPECT_EQ(split("llama-bpe", "'\xC5\xBF"), (V{"'\xC5\xBF"}));
}

TEST(PreTokenizer, Qwen2SplitsSingleDigits) {
  EXPECT_EQ(split("qwen2", "a1234"), (V{"a", "1", "2", "3", "4"}));
}

TEST(PreTokenizer, SmolLmSplitsEveryDigitThenGpt2Words) {
  EXPECT_EQ(split("smollm", "Hello world's 2024!"),
            (V{"Hello", " world", "'s", " ", "2", "0", "2", "4", "!"}));
  EXPECT_EQ(split("minerva-7b", "a12"), (V{"a", "1", "2"}));
}

TEST(PreTokenizer, TekkenSplitsWordsAtCaseChanges) {
  EXPECT_EQ(split("tekken", "helloWorld HTTPServer x2"), (V{"hello", "World", " HTTPServer", " x", "2"}));
  EXPECT_EQ(split("tekken", "don't a/b\n"), (V{"don", "'t", " a", "/b", "\n"}));
  // Unicode case classes: an uppercase accented letter starts a word, a lowercase one continues it.
  EXPECT_EQ(split("tekken", "\xC3\x89t\xC3\xA9\xC3\x89t\xC3\xA9"),
            (V{"\xC3\x89t\xC3\xA9", "\xC3\x89t\xC3\xA9"}));
}

TEST(PreTokenizer, NamesOfOneFamilyShareItsRules) {
  for (const char* name : {"llama3", "llama-v3", "falcon3", "smaug-bpe"})
    EXPECT_EQ(split(name, "1234567 I'M"), (V{"123", "456", "7", " I", "'M"})) << name;
  EXPECT_TRUE(PreTokenizer::spec_for("llama-bpe")->ignore_merges);
  EXPECT_TRUE(PreTokenizer::spec_for("falcon3")->ignore_merges);
  EXPECT_TRUE(PreTokenizer::spec_for("tekken")->ignore_merges);
  EXPECT_FALSE(PreTokenizer::spec_for("smaug-bpe")->ignore_merges);
  EXPECT_FALSE(PreTokenizer::spec_for("smollm")->ignore_merges);
  EXPECT_EQ(PreTokenizer::spec_for("no-such-pre"), std::nullopt);
}

TEST(PreTokenizer, DefaultAppliesItsRegexesInTurn) {
  EXPECT_EQ(split("default", "hello, 12345"), (V{"hello", ",", " ", "123", "45"}));
}

TEST(PreTokenizer, PiecesAlwaysConcatenateToTheInput) {
  std::mt19937 rng(7);
  const std::vector<std::string> atoms = {"a",
                                          "Z",
                                          " ",
                                          "  ",
                                          "\n",
                                          "\r\n",
                                          "\t",
                                          "1",
                                          "42",
                                          "'s",
                                          "'LL",
                                          ",",
                                          "!!",
                                          "\xC3\xA9",
                                          "\xE2\x80\x94",
                                          "\xF0\x9F\x99\x82",
                                          "\xE6\x97\xA5",
                                          "\xC2\xA0"};
  for (const char* name : {"gpt-2", "llama-bpe", "qwen2", "default", "smollm", "tekken"}) {
    PreTokenizer p(name);
    for (int iter = 0; iter < 200; ++iter) {
      std::string text;
      const int n = static_cast<int>(rng() % 30);
      for (int i = 0; i < n; ++i) text += atoms[rng() % atoms.size()];
      std::string joined;
      for (std::string_view v : p.split(text)) {
        EXPECT_FALSE(v.empty());
        joined += v;
      }
      EXPECT_EQ(joined, text) << name;
    }
  }
}

TEST(PreTokenizer, InvalidUtf8IsAnErrorNamingTheOffset) {
  PreTokenizer p("llama-bpe");
  try {
    p.split("Hello \xE2(x");
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 6"), std::string::npos) << e.what();
  }
}

TEST(PreTokenizer, RejectsUnknownNamesAndBadPatterns) {
  try {
    PreTokenizer("no-such-pre");
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    // The message lists every known name, from the one table (core/text/pretokenizer.cpp).
    for (const char* n : {"'no-such-pre'", "default", "gpt-2", "llama-bpe", "qwen2", "smollm", "tekken"})
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
  try {
    PreTokenizer("custom", {"ab(c"});
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("pattern offset"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
