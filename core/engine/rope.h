#pragma once
// Rotary position embedding with explicit per-token positions. Angles follow the reference
// implementation (ggml): theta_i = p * base^(-2i/n_rot) accumulated in float, divided by the llama3
// frequency factor, multiplied by the linear frequency scale. Layouts: interleaved pairs (x[2i],
// x[2i+1]) for Llama/Mistral; NeoX split halves (x[i], x[i+n_rot/2]) for Qwen2.
#include <cstdint>
#include <span>
#include <vector>

#include "model/model_hparams.h"

namespace dbsa {

struct RopeParams {
  int32_t head_dim = 0;
  int32_t n_rot = 0;  // rotated dimensions per head (<= head_dim); the rest pass through
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // linear scaling: 1/factor
  bool neox = false;
  std::vector<float> freq_factors;  // llama3: n_rot/2 divisors of the frequencies (empty: none)

  static RopeParams from_hparams(const ModelHParams& hp);
};

// llama3 frequency divisors as the Llama 3.1 reference defines them (used when the file has no
// rope_freqs tensor).
std::vector<float> llama3_freq_factors(const ModelHParams& hp, int32_t n_rot);

// cos/sin of every (position, frequency) pair, one row of n_rot/2 values per position.
class RopeTable {
 public:
  RopeTable() = default;
  RopeTable(const RopeParams& p, std::span<const int32_t> positions);
  // Recomputes rows [first, positions.size()) and keeps earlier rows (positions only ever appended).
  void update(const RopeParams& p, std::span<const int32_t> positions, int64_t first);
  int64_t size() const { return n_; }
  int32_t half() const { return half_; }
  const float* cos_row(int64_t i) const { return cos_.data() + i * half_; }
  const float* sin_row(int64_t i) const { return sin_.data() + i * half_; }

 private:
  int64_t n_ = 0;
  int32_t half_ = 0;
  std::vector<float> cos_, sin_;
};

// Rotates one head vector x[head_dim] in place with the table row of its position.
void rope_rotate_head(const RopeParams& p, const float* cos_row, const float* sin_row, float* x);
// Rotates x[n_tokens][n_heads][head_dim] in place; row t uses table row first_row + t.
void rope_apply(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x, int64_t n_tokens,
                int32_t n_heads);

}  // namespace dbsa
