#pragma once
// The text of each block as the paper's code builds it: a block is its demonstrations joined by
// "\n==\n"; the pool is the blocks joined by "\n==\n". Block b > 0 is encoded as "\n==\n" + its text
// (its "segment"), so the segments concatenated are exactly the pool text.
#include <cstddef>
#include <string>
#include <vector>

#include "icl/dataset.h"
#include "icl/grouping.h"
#include "icl/template.h"

namespace dbsa {

std::vector<std::string> block_texts(const std::vector<Example>& demos, const Blocks& blocks,
                                     const PromptTemplate& prompt);
// texts[0] for block 0, separator + texts[b] after it.
std::string block_segment(const std::vector<std::string>& texts, std::size_t b);
// All blocks joined by the separator (= the concatenated segments).
std::string joined_pool_text(const std::vector<std::string>& texts);

}  // namespace dbsa
