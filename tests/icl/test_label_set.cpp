#include <gtest/gtest.h>

#include "icl/label_set.h"

namespace dbsa {
namespace {

constexpr TokenId kNewline = 13;

TEST(LabelSet, ShortestUniquePrefixes) {
  // entity animal / entity body / entity other / human: the paper's minimize_labels_tokens keeps
  // "entity X" at two tokens and "human" at one.
  const LabelSet s = shorten_labels({"entity animal", "entity body", "entity other", "human"},
                                    {{5, 6}, {5, 7}, {5, 8, 9}, {3, 4}}, kNewline);
  EXPECT_EQ(s.decode_tokens, (std::vector<std::vector<TokenId>>{{5, 6}, {5, 7}, {5, 8}, {3}}));
  EXPECT_EQ(s.max_steps, 2u);
  EXPECT_EQ(s.match({5, 8}), 2);
  EXPECT_EQ(s.match({5}), -1);
  EXPECT_EQ(s.allowed_next({}), (std::vector<TokenId>{3, 5}));
  EXPECT_EQ(s.allowed_next({5}), (std::vector<TokenId>{6, 7, 8}));
  EXPECT_TRUE(s.allowed_next({3}).empty());  // complete
  EXPECT_TRUE(s.allowed_next({9}).empty());  // outside the set
}

TEST(LabelSet, PrefixLabelGetsTheNewline) {
  // "card" is a prefix of "card arrival" and "card linking": it can only end with the newline.
  const LabelSet s = shorten_labels({"card", "card arrival", "card linking", "age limit"},
                                    {{10}, {10, 11}, {10, 12, 14}, {20, 21}}, kNewline);
  EXPECT_EQ(s.decode_tokens, (std::vector<std::vector<TokenId>>{{10, kNewline}, {10, 11}, {10, 12}, {20}}));
  EXPECT_EQ(s.max_steps, 2u);
  EXPECT_EQ(s.allowed_next({10}), (std::vector<TokenId>{11, 12, kNewline}));
  EXPECT_EQ(s.match({10, kNewline}), 0);
}

TEST(LabelSet, LabelUniqueOnlyAtItsEndKeepsAllTokens) {
  const LabelSet s = shorten_labels({"a b c", "a b d"}, {{1, 2, 3}, {1, 2, 4}}, kNewline);
  EXPECT_EQ(s.decode_tokens, (std::vector<std::vector<TokenId>>{{1, 2, 3}, {1, 2, 4}}));
  EXPECT_EQ(s.max_steps, 3u);
}

TEST(LabelSet, RefusesIndistinguishableLabels) {
  EXPECT_THROW(shorten_labels({"x", "x "}, {{1}, {1}}, kNewline), std::invalid_argument);
  EXPECT_THROW(shorten_labels({"x"}, {{}}, kNewline), std::invalid_argument);
  EXPECT_THROW(shorten_labels({"x"}, {{1}, {2}}, kNewline), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
