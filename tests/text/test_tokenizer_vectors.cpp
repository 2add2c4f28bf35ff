// The reference implementation's tokenizer test vectors (tokenizer/*.inp / *.out), reproduced exactly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text_test_util.h"

namespace dbsa {
namespace {

// .inp: every string is followed by "\n__ggml_vocab_test__\n" (the last one too), so a string may
// itself be empty or consist of newlines.
std::vector<std::string> parse_inputs(const std::string& text) {
  static const std::string kSep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t at = text.find(kSep, pos); at != std::string::npos; at = text.find(kSep, pos)) {
    out.push_back(text.substr(pos, at - pos));
    pos = at + kSep.size();
  }
  EXPECT_EQ(pos, text.size()) << "trailing bytes after the last separator";
  return out;
}

// .out: one line per string, ids separated by spaces (each id preceded by one space).
std::vector<std::vector<TokenId>> parse_outputs(const std::string& text) {
  std::vector<std::vector<TokenId>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream ids(line);
    std::vector<TokenId> row;
    long long id = 0;
    while (ids >> id) row.push_back(static_cast<TokenId>(id));
    EXPECT_TRUE(ids.eof()) << "unparsable line: " << line;
    out.push_back(row);
  }
  return out;
}

struct VectorCase {
  const char* vocab;  // fixture path of the GGUF holding the vocabulary
  const char* inp;
  const char* out;
};

void PrintTo(const VectorCase& c, std::ostream* os) {
  *os << c.inp;
}

class TokenizerVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(TokenizerVectors, MatchReferenceExactly) {
  const VectorCase& c = GetParam();
  const Tokenizer& tok = test::fixture_tokenizer(c.vocab);
  const auto inputs = parse_inputs(test::read_file_bytes(test::fixture(c.inp)));
  const auto expected = parse_outputs(test::read_file_bytes(test::fixture(c.out)));
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GE(inputs.size(), 40u);
  EncodeOptions opts;
  opts.add_bos = false;
  int mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto got = tok.encode(inputs[i], opts);
    EXPECT_EQ(got, expected[i]) << "string " << i << ": \"" << inputs[i] << "\"";
    mismatches += got != expected[i];
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_P(TokenizerVectors, DecodeInvertsEncode) {
  const VectorCase& c = GetParam();
  const Tokenizer& tok = test::fixture_tokenizer(c.vocab);
  // Byte fallback (SPM) and the byte-level map (BPE) cover every byte, so all vectors round-trip.
  for (const std::string& s : parse_inputs(test::read_file_bytes(test::fixture(c.inp)))) {
    EXPECT_EQ(tok.decode(tok.encode(s)), s);
    EXPECT_EQ(tok.decode(tok.encode(s, {.add_bos = false})), s);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerVectors,
                         ::testing::Values(VectorCase{"tokenizer/ggml-vocab-llama-spm.gguf",
                                                      "tokenizer/ggml-vocab-llama-spm.gguf.inp",
                                                      "tokenizer/ggml-vocab-llama-spm.gguf.out"},
                                           VectorCase{"tokenizer/ggml-vocab-gpt-2.gguf",
                                                      "tokenizer/ggml-vocab-gpt-2.gguf.inp",
                                                      "tokenizer/ggml-vocab-gpt-2.gguf.out"},
                                           VectorCase{"models/tiny-llama3bpe-f16.gguf",
                                                      "tokenizer/llama3.inp", "tokenizer/llama3.out"}),
                         [](const ::testing::TestParamInfo<VectorCase>& p) {
                           const std::string v = p.param.inp;
                           if (v.find("spm") != std::string::npos) return std::string("LlamaSpm");
                           if (v.find("gpt-2") != std::string::npos) return std::string("Gpt2");
                           return std::string("Llama3");
                         });

}  // namespace
}  // namespace dbsa
