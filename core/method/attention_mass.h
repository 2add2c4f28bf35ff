#pragma once
// Where a captured head looks, block by block: of each query token's attention (a softmax row over the
// selected blocks' tokens, then the query's), the share on every selected block and on the query
// itself, averaged over the query tokens. What a DBSA researcher asks first of the Attention page: does
// the query read the sink, the best-scored block, or itself.
#include <vector>

#include "engine/forward_contract.h"
#include "method/prediction.h"

namespace dbsa {

struct AttentionMass {
  std::vector<double> blocks;  // one per selected block, in context order
  double query = 0.0;          // on the query's own tokens
};

// capture.weights: one row per query token, columns the blocks' tokens (blocks[i].n_tokens each, in
// order) then the query tokens. Throws std::invalid_argument when a row is shorter than the blocks.
AttentionMass attention_mass(const AttentionCapture& capture, const std::vector<SelectedBlock>& blocks);

}  // namespace dbsa
