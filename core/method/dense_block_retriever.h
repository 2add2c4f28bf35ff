#pragma once
// Dense retrieval over a cache's blocks with embeddings from the model itself: the mean over a text's
// tokens of the residual stream after `layer` (an addition of ours beyond the paper). Block embeddings cost
// one forward pass per block, so the index is saved inside the cache folder as a sealed folder
// (dense-l<layer>/, see cache/cache_index.h) and reused while it covers every block.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cache/block_cache.h"
#include "engine/llama_model.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

// Mean-pooled hidden state after `layer` (0-based; n_layer = after the final norm) of the tokens,
// each run densely from position 0.
std::vector<float> mean_hidden_state(LlamaModel& model, std::span<const int32_t> tokens, int32_t layer);

// The model's middle layer: the default embedding layer.
int32_t default_embedding_layer(const LlamaModel& model);

// A flat inner-product index over the blocks' embeddings whose text searches embed the query with the
// same model. The model must outlive the retriever and not be used concurrently with its searches. A
// stored index not covering every block is rebuilt (and saved), `note` saying why
// (cache/cache_index.h: stored_index_covers).
std::shared_ptr<const Retriever> open_block_dense(LlamaModel& model, const Tokenizer& tok,
                                                  const BlockCache& cache, int32_t layer,
                                                  std::string* note = nullptr);

}  // namespace dbsa
