#pragma once
// Prompt → continuation: one batched pass over the prompt, then one token at a time with the KV cache.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/sampling.h"

namespace dbsa {

class LlamaModel;
class ForwardRunner;

struct GenerateOptions {
  int32_t max_tokens = 16;
  SamplerConfig sampler;    // default: greedy
  int32_t stop_token = -1;  // e.g. EOS; generation ends after emitting it (it is included)
  // Called after each token; return false to stop early.
  std::function<bool(int32_t token)> on_token;
};

struct GenerateResult {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // logit of each chosen token
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
};

// Appends prompt and continuation to cache (which may already hold context).
GenerateResult generate(LlamaModel& model, KvCache& cache, std::span<const int32_t> prompt,
                        const GenerateOptions& opts);
// The same on a device runner (engine/forward_runner.h), appending to the runner's own KV cache.
GenerateResult generate(ForwardRunner& runner, std::span<const int32_t> prompt, const GenerateOptions& opts);

}  // namespace dbsa
