// The attention mass per selected block (method/attention_mass.h), against sums done by hand.
#include "method/attention_mass.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace dbsa {
namespace {

TEST(AttentionMass, SharesPerBlockAndQueryAveragedOverQueryTokens) {
  // Blocks of 2 and 3 tokens, then 2 query tokens; the first query token cannot see the second.
  AttentionCapture c;
  c.weights = {{0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, {0.2f, 0.0f, 0.2f, 0.2f, 0.0f, 0.2f, 0.2f}};
  std::vector<SelectedBlock> blocks(2);
  blocks[0].n_tokens = 2;
  blocks[1].n_tokens = 3;
  const AttentionMass m = attention_mass(c, blocks);
  ASSERT_EQ(m.blocks.size(), 2u);
  EXPECT_NEAR(m.blocks[0], (0.6 + 0.2) / 2, 1e-6);
  EXPECT_NEAR(m.blocks[1], (0.3 + 0.4) / 2, 1e-6);
  EXPECT_NEAR(m.query, (0.1 + 0.4) / 2, 1e-6);
  EXPECT_NEAR(m.blocks[0] + m.blocks[1] + m.query, 1.0, 1e-6);

  AttentionCapture short_row;
  short_row.weights = {{0.5f, 0.5f}};
  EXPECT_THROW(attention_mass(short_row, blocks), std::invalid_argument);
  EXPECT_EQ(attention_mass(AttentionCapture{}, blocks).blocks, (std::vector<double>{0.0, 0.0}));
}

}  // namespace
}  // namespace dbsa
