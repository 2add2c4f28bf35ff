#include "engine/generation.h"

#include <chrono>
#include <stdexcept>

#include "engine/llama_model.h"

namespace dbsa {

GenerateResult generate(LlamaModel& model, KvCache& cache, std::span<const int32_t> prompt,
                        const GenerateOptions& opts) {
  if (prompt.empty()) throw std::invalid_argument("generate: empty prompt");
  using clock = std::chrono::steady_clock;
  GenerateResult r;
  Sampler sampler(opts.sampler);
  auto t0 = clock::now();
  ForwardRequest req;
  req.tokens = prompt;
  std::vector<float> logits = model.forward(cache, req).logits;
  auto t1 = clock::now();
  r.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();
  for (int32_t i = 0; i < opts.max_tokens; ++i) {
    const int32_t tok = sampler.sample(logits);
    r.tokens.push_back(tok);
    r.logits.push_back(logits[static_cast<size_t>(tok)]);
    if (opts.on_token && !opts.on_token(tok)) break;
    if (tok == opts.stop_token || i + 1 == opts.max_tokens) break;
    const int32_t one[1] = {tok};
    ForwardRequest step;
    step.tokens = one;
    logits = model.forward(cache, step).logits;
  }
  r.decode_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  return r;
}

}  // namespace dbsa
