#include "engine/block_layout.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace dbsa {
namespace {

// The paper's rule written out independently: block b's tokens see block c iff c == b, c < S or
// c >= b - P (c <= b; "all" = every block).
bool paper_rule(int64_t b, int64_t c, int32_t S, int32_t P) {
  if (c > b) return false;
  return c == b || S == kAllBlocks || c < S || P == kAllBlocks || c >= b - P;
}

TEST(BlockLayout, SeesFollowsThePapersRuleAndNamesTheLink) {
  for (int32_t S : {0, 1, 2, 3, kAllBlocks})
    for (int32_t P : {0, 1, 2, 5, kAllBlocks}) {
      const BlockLayout layout{S, P};
      for (int64_t b = 0; b < 9; ++b)
        for (int64_t c = 0; c < 9; ++c) {
          ASSERT_EQ(layout.sees(b, c), paper_rule(b, c, S, P)) << layout.text() << " b=" << b << " c=" << c;
          const BlockLink link = layout.link(b, c);
          if (c == b)
            EXPECT_EQ(link, BlockLink::Self);
          else if (c < b && (S == kAllBlocks || c < S))
            EXPECT_EQ(link, BlockLink::Sink);
          else if (paper_rule(b, c, S, P))
            EXPECT_EQ(link, BlockLink::Previous);
          else
            EXPECT_EQ(link, BlockLink::None);
        }
    }
}

TEST(BlockLayout, DenseTextAndWindow) {
  EXPECT_TRUE(BlockLayout::dense().is_dense());
  EXPECT_TRUE((BlockLayout{1, kAllBlocks}).is_dense());
  EXPECT_FALSE(BlockLayout{}.is_dense());
  EXPECT_EQ(BlockLayout{}.text(), "S=1 P=2");  // the paper's setting is the default
  EXPECT_EQ(BlockLayout::dense().text(), "S=all P=all");
  EXPECT_EQ((BlockLayout{1, 2}).max_visible_blocks(), 4);
  EXPECT_EQ(BlockLayout::dense().max_visible_blocks(), kAllBlocks);
  EXPECT_NO_THROW(BlockLayout::dense().validate());
  EXPECT_THROW((BlockLayout{-2, 1}).validate(), std::invalid_argument);
  EXPECT_THROW((BlockLayout{0, -3}).validate(), std::invalid_argument);
}

TEST(BlockLayout, CountsParseAndPrint) {
  EXPECT_EQ(parse_block_count("all", "--prev"), kAllBlocks);
  EXPECT_EQ(parse_block_count("0", "--prev"), 0);
  EXPECT_EQ(parse_block_count("12", "--select", 1), 12);
  for (const char* bad : {"", "-1", "1.5", " 2", "2 ", "ALL", "99999999999"})
    EXPECT_THROW(parse_block_count(bad, "--sink"), std::invalid_argument) << "'" << bad << "'";
  try {
    parse_block_count("0", "--select", 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--select must be a block count >= 1 or 'all', got '0'");
  }
  EXPECT_EQ(block_count_text(kAllBlocks), "all");
  EXPECT_EQ(block_count_text(7), "7");
}

}  // namespace
}  // namespace dbsa
