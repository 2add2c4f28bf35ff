#include "engine/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace dbsa {

int32_t argmax(std::span<const float> logits) {
  int32_t best = -1;
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isnan(logits[i]) && (best < 0 || logits[i] > logits[static_cast<size_t>(best)]))
      best = static_cast<int32_t>(i);
  if (best < 0) throw std::invalid_argument("argmax: no finite logit among " + std::to_string(logits.size()));
  return best;
}

Sampler::Sampler(const SamplerConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {
  if (cfg.top_p <= 0.0f) throw std::invalid_argument("sampler: top_p must be > 0");
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (cfg_.temperature <= 0.0f) return argmax(logits);
  const auto n = static_cast<int32_t>(logits.size());
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  int32_t keep = n;
  if (cfg_.top_k > 0 && cfg_.top_k < n) keep = cfg_.top_k;
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
           (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
  };
  std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(), by_logit);
  idx.resize(static_cast<size_t>(keep));
  const float mx = logits[static_cast<size_t>(idx[0])];
  std::vector<double> p(idx.size());
  double sum = 0.0;
  for (size_t i = 0; i < idx.size(); ++i) {
    p[i] = std::exp(static_cast<double>(logits[static_cast<size_t>(idx[i])] - mx) / cfg_.temperature);
    sum += p[i];
  }
  if (cfg_.top_p < 1.0f) {
    double cum = 0.0;
    size_t cut = idx.size();
    for (size_t i = 0; i < idx.size(); ++i) {
      cum += p[i] / sum;
      if (cum >= cfg_.top_p) {
        cut = i + 1;
        break;
      }
    }
    p.resize(cut);
    idx.resize(cut);
  }
  std::discrete_distribution<size_t> dist(p.begin(), p.end());
  return idx[dist(rng_)];
}

}  // namespace dbsa
