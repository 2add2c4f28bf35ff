// Prompt tokenization of the reference runs (reference/MODEL.PROMPT.tokens, BOS as the model says).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "text_test_util.h"

namespace dbsa {
namespace {

std::vector<TokenId> read_ids(const std::filesystem::path& p) {
  std::istringstream in(test::read_file_bytes(p));
  std::vector<TokenId> ids;
  long long id = 0;
  while (in >> id) ids.push_back(static_cast<TokenId>(id));
  EXPECT_TRUE(in.eof()) << p;
  return ids;
}

TEST(ReferenceTokens, EveryCaseMatches) {
  const auto dir = test::fixture("reference");
  std::vector<std::filesystem::path> cases;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".tokens") cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 20u);
  for (const auto& p : cases) {
    // MODEL.PROMPT.tokens; the prompt text is PROMPT.txt byte for byte (no newline is added).
    const std::string stem = p.stem().string();
    const size_t dot = stem.rfind('.');
    ASSERT_NE(dot, std::string::npos) << p;
    const std::string model = stem.substr(0, dot);
    const std::string prompt = stem.substr(dot + 1);
    const Tokenizer& tok = test::fixture_tokenizer("models/" + model + ".gguf");
    const std::string text = test::read_file_bytes(dir / (prompt + ".txt"));
    const auto expected = read_ids(p);
    const auto got = tok.encode(text, {.add_bos = true, .add_eos = false, .parse_special = true});
    EXPECT_EQ(got, expected) << p.filename();
    if (tok.adds_bos()) {
      ASSERT_FALSE(got.empty());
      EXPECT_EQ(got.front(), tok.bos()) << p.filename();
    }
    EXPECT_EQ(tok.decode(got), text) << p.filename();
  }
}

}  // namespace
}  // namespace dbsa
