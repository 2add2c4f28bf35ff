#pragma once
// The forward pass's contract, shared by every implementation of it (LlamaModel on the CPU backend,
// engine/llama_model.h; the CUDA device-resident forward, kernels/cuda_forward.h) and by the callers
// that check requests (engine/forward_request.h) or run them (engine/forward_runner.h): what a request
// asks for and what comes back.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/attention_layout.h"

namespace dbsa {

enum class LogitsMode { None, Last, All };

// Softmax weights of one head for chosen query tokens, filled during the pass.
struct AttentionCapture {
  int32_t layer = 0;
  int32_t head = 0;
  std::vector<int64_t> queries;             // indices into the request's tokens
  std::vector<std::vector<float>> weights;  // per query: one weight per KV row of the cache (after append)
};

struct ForwardRequest {
  std::span<const int32_t> tokens;
  // RoPE positions of the tokens; empty means continuing the cache (last position + 1, or 0).
  std::span<const int32_t> positions;
  // Queries = tokens, keys = cache rows after the append; query_kv_offset must equal the cache size
  // before the call. Null means dense causal attention over the whole cache.
  const AttentionLayout* layout = nullptr;
  LogitsMode logits = LogitsMode::Last;
  // With LogitsMode::All: when set, logits are streamed per chunk (first token index, rows, values)
  // instead of being stored in the result (a long prompt's n × n_vocab would not fit).
  std::function<void(int64_t first, int64_t n, const float* logits)> on_logits;
  // Residual stream after layer hidden_layer (0-based; n_layer means after the final norm), per chunk.
  int32_t hidden_layer = -1;
  std::function<void(int64_t first, int64_t n, const float* hidden)> on_hidden;
  AttentionCapture* capture = nullptr;
  int64_t ubatch = 512;
};

struct ForwardResult {
  std::vector<float>
      logits;  // n_rows × n_vocab (Last: the last token's row; All without callback: every row)
  int64_t n_rows = 0;
};

}  // namespace dbsa
