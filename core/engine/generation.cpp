#include "engine/generation.h"

#include <chrono>
#include <stdexcept>

#include "engine/forward_runner.h"
#include "engine/llama_model.h"

namespace dbsa {

namespace {

// The decoding loop, whatever runs the passes: forward(tokens) returns the last token's logits.
using PassFn = std::function<std::vector<float>(std::span<const int32_t> tokens)>;

GenerateResult generate_with(const PassFn& forward, std::span<const int32_t> prompt,
                             const GenerateOptions& opts) {
  if (prompt.empty()) throw std::invalid_argument("generate: empty prompt");
  using clock = std::chrono::steady_clock;
  GenerateResult r;
  Sampler sampler(opts.sampler);
  auto t0 = clock::now();
  std::vector<float> logits = forward(prompt);
  auto t1 = clock::now();
  r.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();
  for (int32_t i = 0; i < opts.max_tokens; ++i) {
    const int32_t tok = sampler.sample(logits);
    r.tokens.push_back(tok);
    r.logits.push_back(logits[static_cast<size_t>(tok)]);
    if (opts.on_token && !opts.on_token(tok)) break;
    if (tok == opts.stop_token || i + 1 == opts.max_tokens) break;
    const int32_t one[1] = {tok};
    logits = forward(one);
  }
  r.decode_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  return r;
}

}  // namespace

GenerateResult generate(LlamaModel& model, KvCache& cache, std::span<const int32_t> prompt,
                        const GenerateOptions& opts) {
  return generate_with(
      [&](std::span<const int32_t> tokens) {
        ForwardRequest req;
        req.tokens = tokens;
        return model.forward(cache, req).logits;
      },
      prompt, opts);
}

GenerateResult generate(ForwardRunner& runner, std::span<const int32_t> prompt, const GenerateOptions& opts) {
  return generate_with(
      [&](std::span<const int32_t> tokens) {
        ForwardRequest req;
        req.tokens = tokens;
        return runner.forward(req).logits;
      },
      prompt, opts);
}

}  // namespace dbsa
