#pragma once
// Block-sparse pre-encoding: the whole pool runs through the model once at positions 0..N-1, a token of
// block b attending to the blocks engine/block_layout.h's pattern says it sees, and every
// block's pre-RoPE K and V of every layer go to a CacheWriter. The pass is split into chunks of
// `chunk_tokens` so memory stays O(pool KV + chunk) and progress can be reported (and the work
// cancelled) between chunks. Incremental append encodes only new blocks: their sink and predecessor
// blocks are read back from the store at their original positions, so the result equals encoding the
// grown pool at once (up to the stored dtype's rounding of that context).
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_writer.h"
#include "engine/attention_layout.h"
#include "engine/block_layout.h"
#include "engine/kv_cache.h"
#include "engine/llama_model.h"
#include "util/progress.h"

namespace dbsa {

// How to run an encode; which blocks see which is the BlockLayout (for a cache: its key's).
struct PreEncodeOptions {
  int64_t chunk_tokens = 256;
  // Called after every chunk with the fraction done (0..1]; returning false cancels the encode.
  Progress progress;
};

struct PreEncodeStats {
  bool cancelled = false;
  int64_t tokens_computed = 0;  // tokens run through the model (append: only the new blocks)
  int64_t context_tokens = 0;   // tokens read back from the store (append only)
  int64_t visible_pairs = 0;    // (query, key) pairs attended: the attention work
  double seconds = 0.0;
};

// block_starts for blocks of the given token counts: n+1 offsets from 0.
std::vector<int64_t> block_starts_of(std::span<const std::vector<int32_t>> blocks);

// Runs the pool through the model with the block-sparse layout and returns its K/V (pre-RoPE,
// positions 0..N-1) — F32, before any storage rounding. Cancelled (stats->cancelled, empty cache) when
// the progress callback returns false.
KvCache pre_encode_kv(LlamaModel& model, std::span<const std::vector<int32_t>> blocks,
                      const BlockLayout& pattern, const PreEncodeOptions& opts,
                      PreEncodeStats* stats = nullptr);

// The same block-sparse encoding keeping in memory only what later tokens still see: the sink blocks,
// the P blocks before the current one and the current one, so memory is O((S + P + 1) blocks) however
// large the pool (pre_encode_kv holds it all). Each block, once computed, is handed to
// on_block(b, cache, first_row) while its rows [first_row, first_row + size) are in `cache`. Every
// block sees the same keys in the same ranges as with pre_encode_kv.
PreEncodeStats pre_encode_windowed(
    LlamaModel& model, std::span<const std::vector<int32_t>> blocks, const BlockLayout& pattern,
    const PreEncodeOptions& opts,
    const std::function<void(int32_t block, const KvCache& cache, int64_t first_row)>& on_block);

// pre_encode_windowed with the writer's key's layout, writing each block's K/V of every layer to `writer`
// (whose next block index must be 0)
// as soon as the block is computed; contents[b] is what the catalog records for block b (its token_ids
// must equal blocks[b]). The caller commits the writer unless stats.cancelled.
PreEncodeStats pre_encode(LlamaModel& model, std::span<const std::vector<int32_t>> blocks,
                          std::vector<BlockContent> contents, CacheWriter& writer,
                          const PreEncodeOptions& opts);

// The blocks of `existing` some new block b (indices n_existing + i) attends to under `pattern`.
std::vector<int32_t> append_context_blocks(int32_t n_existing, int32_t n_new, const BlockLayout& pattern);

// Encodes new blocks after the blocks of `existing` (which `writer` appends to) under the existing
// cache's S and P: the context blocks are assembled from the store at their original positions, only the
// new tokens are computed, positions continue after the existing pool.
PreEncodeStats pre_encode_append(LlamaModel& model, const BlockCache& existing,
                                 std::span<const std::vector<int32_t>> new_blocks,
                                 std::vector<BlockContent> contents, CacheWriter& writer,
                                 const PreEncodeOptions& opts);

}  // namespace dbsa
