#pragma once
// A DBSA query over a KV block cache (docs/METHOD.md "Query time"): score every block against the query
// text with a retriever, keep the sink (block 0) first plus the best n_select - 1 other blocks in the
// chosen order, place their pre-RoPE K/V at contiguous positions 0..L-1 (read from the mapped store as
// attention streams over them: see block_row_source.h), run the query tokens at L.. over all of it and
// decode a label.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/block_cache.h"
#include "engine/block_layout.h"
#include "engine/constrained_decoding.h"
#include "engine/llama_model.h"
#include "icl/label_set.h"
#include "icl/template.h"
#include "method/prediction.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

enum class BlockOrder { InOrder, Hi2Lo, Lo2Hi, Reversed };
BlockOrder parse_block_order(std::string_view name);  // one of block_order_names()
std::vector<std::string> block_order_names();         // "in-order", "hi2lo", "lo2hi", "reversed"

// hits: scores of (some of) the blocks 0..n_blocks-1 (missing blocks score 0). Returns n_select blocks
// (all when n_select is kAllBlocks or >= n_blocks): the sink first (forced), then the n_select - 1
// best-scoring others (ties: lower index first), arranged by `order` — in-order: ascending index,
// hi2lo/lo2hi: by score (ties by index), reversed: descending index.
std::vector<SelectedBlock> select_blocks(std::span<const RetrievalHit> hits, int32_t n_blocks,
                                         int32_t n_select, BlockOrder order);

struct QueryConfig {
  int32_t n_select = kAllBlocks;
  BlockOrder order = BlockOrder::InOrder;
  bool keep_logits = false;
  // When set: the weights of its layer/head for its query rows (indices into the query's tokens) over
  // the context rows then the query's own, for the attention view.
  AttentionCapture* capture = nullptr;
};

class BlockQuery {
 public:
  // The retriever holds one document per block, its id the block index.
  BlockQuery(LlamaModel& model, const BlockCache& cache, const Tokenizer& tok, PromptTemplate prompt,
             LabelSet labels, std::shared_ptr<const Retriever> retriever);

  // Retrieval uses the raw query text; the model sees format_query(prompt, text).
  Prediction run(std::string_view text, const QueryConfig& cfg);
  // The same with given blocks (no retrieval): for tests and for methods that select blocks themselves.
  Prediction run_blocks(std::string_view text, std::vector<SelectedBlock> blocks, const QueryConfig& cfg);

  const LabelSet& labels() const { return labels_; }

 private:
  // Both runs end here, with the query's tokens: refused (check_query_fits) before any forward pass
  // when the selected blocks, the query and a label exceed the model's context limit.
  Prediction run_tokens(const std::vector<TokenId>& query_tokens, std::vector<SelectedBlock> blocks,
                        const QueryConfig& cfg);

  LlamaModel& model_;
  const BlockCache& cache_;
  const Tokenizer& tok_;
  PromptTemplate prompt_;
  LabelSet labels_;
  TokenTrie trie_;
  std::shared_ptr<const Retriever> retriever_;
  KvCache context_;  // reused across queries so the query rows' storage is allocated once
};

}  // namespace dbsa
