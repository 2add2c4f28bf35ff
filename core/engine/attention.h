#pragma once
// Multi-head attention (GQA) over KV range lists with a streaming (online) softmax: per query tile and
// KV head, keys are visited in blocks, scores computed with sgemm, the running max/sum rescaled, and
// P·V accumulated, so memory is O(tile) whatever the context length. Keys may be stored before RoPE;
// they are then rotated block by block with the caller's positions as they are read.
#include <cstdint>
#include <vector>

#include "engine/attention_layout.h"
#include "engine/kv_row_source.h"
#include "engine/rope.h"
#include "engine/thread_pool.h"

namespace dbsa {

// Streamed: keys a tile at a time with an online softmax, the products through BLAS (the fastest).
// Reference: llama.cpp's CPU order of float operations (engine/attention_reference_order.h); a call with
// stored blocks as its prefix is computed as one over a cache holding the same rows. With the vector
// matmul kernels the whole forward pass then gives the reference's bits; it costs prefill speed
// (docs/BENCHMARKS.md).
enum class AttentionOrder { Streamed, Reference };
inline constexpr AttentionOrder kAttentionOrders[] = {AttentionOrder::Streamed, AttentionOrder::Reference};

struct AttentionArgs {
  const float* q = nullptr;  // [n_queries][n_head][head_dim], already rotated
  // Key j >= prefix_rows of KV head h at k + (j - prefix_rows)*kv_stride + h*head_dim.
  const float* k = nullptr;
  const float* v = nullptr;  // same layout as k
  // Or, from an F16 cache (engine/kv_cache.h, KvType::F16; keys after RoPE, so no key_rope), the same
  // rows as F16 in place of k and v: tiles are widened to F32 as they are read. Streamed order only.
  const uint16_t* k16 = nullptr;
  const uint16_t* v16 = nullptr;
  int64_t n_kv = 0;
  int64_t kv_stride = 0;  // floats between consecutive tokens (n_head_kv*head_dim for a packed cache)
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;
  float scale = 1.0f;  // usually 1/sqrt(head_dim)
  const AttentionLayout* layout = nullptr;
  // Pre-RoPE keys: when set, key j is rotated with row j of key_table before use.
  const RopeParams* key_rope = nullptr;
  const RopeTable* key_table = nullptr;
  // Optional, with key_rope: the keys from k on already rotated with key_table (same layout as k), so the
  // attention reads them as they are. A backend may ignore it and rotate k itself: the results agree.
  const float* k_rotated = nullptr;
  // Keys and values [0, prefix_rows) read from `prefix` (layer prefix_layer) tile by tile; its keys are
  // pre-RoPE, so key_rope must be set.
  const KvRowSource* prefix = nullptr;
  int32_t prefix_layer = 0;
  int64_t prefix_rows = 0;
  float* out = nullptr;  // [n_queries][n_head][head_dim]; a query that sees no key gets zeros
  AttentionOrder order = AttentionOrder::Streamed;
};

void attention(ThreadPool& pool, const AttentionArgs& a);

// The softmax weights of one query row over all n_kv keys for one head (zeros where masked), computed
// directly (not streamed): for the attention-map view, a handful of queries at a time.
std::vector<float> attention_weights(const AttentionArgs& a, int64_t query, int32_t head);

}  // namespace dbsa
