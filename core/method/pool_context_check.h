#pragma once
// What pre-encoding checks of a pool before its first forward pass (model/context_limit.h): every
// demonstration and every block fits the model's context limit, and under a dense layout (S or P = all,
// where each token attends to every block before it, as full-icl encodes) so does the whole pool. A
// bounded layout (the paper's S = 1, P = 2) places a pool at positions 0..N-1 past the limit by design
// (docs/METHOD.md): what a query attends to is placed again at 0..L-1 and checked per query
// (method/label_decoding.h). A refusal names a demonstration too long on its own by file and line,
// else the block, with the option that makes it smaller.
#include <cstdint>
#include <vector>

#include "engine/block_layout.h"
#include "icl/dataset.h"
#include "icl/grouping.h"
#include "icl/template.h"
#include "model/context_limit.h"
#include "text/tokenizer.h"

namespace dbsa {

// blocks[b] (demos indices) was tokenized to block_tokens[b]; it is pool block first_block + b, after
// tokens_before tokens of blocks already encoded (an append), encoded under `pattern`.
void check_pool_fits(const ContextLimit& limit, const Tokenizer& tok, const PromptTemplate& prompt,
                     const std::vector<Example>& demos, const Blocks& blocks,
                     const std::vector<std::vector<TokenId>>& block_tokens, const BlockLayout& pattern,
                     int32_t first_block = 0, int64_t tokens_before = 0);

}  // namespace dbsa
