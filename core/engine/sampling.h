#pragma once
// Choosing the next token from logits: greedy, or temperature / top-k / top-p sampling with a seeded
// generator so a run can be repeated exactly.
#include <cstdint>
#include <random>
#include <span>

namespace dbsa {

struct SamplerConfig {
  float temperature = 0.0f;  // <= 0: greedy
  int32_t top_k = 0;         // <= 0: no limit
  float top_p = 1.0f;        // nucleus mass; >= 1: no limit
  uint64_t seed = 0;
};

// Index of the largest logit (the first one on ties); throws on empty input or when all are NaN.
int32_t argmax(std::span<const float> logits);

class Sampler {
 public:
  explicit Sampler(const SamplerConfig& cfg);
  int32_t sample(std::span<const float> logits);

 private:
  SamplerConfig cfg_;
  std::mt19937_64 rng_;
};

}  // namespace dbsa
