#pragma once
// Hyper-parameters of a Llama-family model (llama, mistral, qwen2 GGUF architectures).
#include <cstdint>
#include <string>

#include "model/gguf_file.h"

namespace dbsa {

enum class RopeScaling { None, Linear, Llama3 };

struct ModelHParams {
  std::string arch;  // general.architecture
  std::string name;  // general.name (may be empty)
  uint32_t n_vocab = 0;
  uint32_t n_ctx_train = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t n_ff = 0;
  uint32_t head_dim = 0;  // n_embd / n_head unless attention.key_length says otherwise
  float rms_norm_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  uint32_t rope_dim = 0;   // rotated dims per head (rope.dimension_count, default head_dim)
  bool rope_neox = false;  // NeoX (split-half) layout: qwen2; Llama/Mistral use the interleaved pairs
  RopeScaling rope_scaling = RopeScaling::None;
  float rope_scale_factor = 1.0f;      // linear: positions divided by it; llama3: the "factor"
  float rope_low_freq_factor = 1.0f;   // llama3
  float rope_high_freq_factor = 4.0f;  // llama3
  uint32_t rope_orig_ctx = 8192;       // llama3 original_max_position_embeddings
  bool tied_output = false;            // no output.weight: the token embedding is reused
  bool has_qkv_bias = false;           // qwen2: blk.N.attn_{q,k,v}.bias
  // rope_freqs.weight present: Llama-3.1 conversions store the llama3 per-dimension frequency factors as
  // a tensor [rope_dim / 2] instead of rope.scaling.* keys; the engine divides theta_i by factor_i.
  bool has_rope_freqs = false;
};

// Reads and validates the hyper-parameters; throws GgufError naming the file and key on problems.
ModelHParams read_hparams(const GgufFile& f);

}  // namespace dbsa
