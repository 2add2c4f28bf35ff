#include "method/pool_context_check.h"

#include <string>

namespace dbsa {

void check_pool_fits(const ContextLimit& limit, const Tokenizer& tok, const PromptTemplate& prompt,
                     const std::vector<Example>& demos, const Blocks& blocks,
                     const std::vector<std::vector<TokenId>>& block_tokens, const BlockLayout& pattern,
                     int32_t first_block, int64_t tokens_before) {
  if (limit.tokens <= 0) return;
  int64_t total = tokens_before;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const auto n = static_cast<int64_t>(block_tokens[b].size());
    total += n;
    if (n <= limit.tokens) continue;
    // Only a block that fails is looked into: its demonstrations are tokenized one by one, so the one
    // that cannot fit anywhere is named where the user can find it.
    EncodeOptions eo;
    eo.add_bos = false;
    for (const size_t i : blocks[b]) {
      const Example& d = demos[i];
      check_context(limit, static_cast<int64_t>(tok.encode(format_demo(prompt, d.text, d.label), eo).size()),
                    "pre-encoding: the demonstration at " + source_location(d), "shorten or remove it");
    }
    check_context(limit, n,
                  "pre-encoding: block " + std::to_string(first_block + static_cast<int64_t>(b)) + " (" +
                      std::to_string(blocks[b].size()) + " demonstrations)",
                  "use fewer demonstrations per block (--block-demos)");
  }
  if (pattern.is_dense())
    check_context(
        limit, total,
        "pre-encoding: the pool (" + std::to_string(first_block + static_cast<int64_t>(blocks.size())) +
            " blocks) under a dense layout (S or P = all: every token attends to all blocks before it)",
        "use fewer demonstrations (--blocks, --block-demos)");
}

}  // namespace dbsa
