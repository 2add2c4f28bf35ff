#pragma once
// The tensors of a Llama-family model, taken from a GGUF file. F32 matrices are used in place (they
// point into the memory-mapped file), F16/BF16 stay 16-bit (widened in the matmul) or are expanded to
// F32, and quantized matrices stay in their blocks in the mapped file (Q8_0, Q4_0, Q5_0, Q2_K, Q3_K, Q4_K,
// Q5_K, Q6_K: the types with integer kernels, engine/quant_kernels.h) or are dequantized once at load to F16
// or F32.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/weight_matrix.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"

namespace dbsa {

// How quantized matrices are held: in their blocks (types without integer kernels then dequantize to
// F16), or dequantized at load to F16 or to F32.
enum class QuantizedHolding { InBlocks, F16, F32 };

// The --weights-* choice of the commands and the studio: `native` holds quantized matrices in their
// blocks and 16-bit ones as 16-bit; `f16` dequantizes quantized matrices to F16; `f32` holds every
// matrix as F32 (quantized ones then sum exactly, the closest agreement with the reference).
enum class WeightPrecision { Native, F16, F32 };
std::string_view weight_precision_name(WeightPrecision p);  // "native", "f16", "f32"

struct WeightLoadOptions {
  QuantizedHolding quantized = QuantizedHolding::InBlocks;
  bool expand_16bit = false;  // store F16/BF16 matrices as F32 (faster sgemm, 2× memory)
  // Round activations the way the reference engine does for each weight's source type (F16 for F16
  // weights, 8-bit blocks for quantized ones), so results agree with it; false keeps F32 activations.
  bool reference_activations = true;

  static WeightLoadOptions for_precision(WeightPrecision p);
};

struct LayerWeights {
  std::vector<float> attn_norm;
  WeightMatrix wq, wk, wv, wo;
  std::vector<float> bq, bk, bv;  // empty when the architecture has no Q/K/V biases
  std::vector<float> ffn_norm;
  WeightMatrix w_gate, w_up, w_down;
};

struct ModelWeights {
  ModelHParams hp;
  WeightMatrix token_embd;  // [n_vocab][n_embd]
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;
  WeightMatrix output;                   // [n_vocab][n_embd]; shares token_embd's data when tied
  std::vector<float> rope_freqs;         // rope_freqs.weight when the file carries it (llama3 scaling)
  std::shared_ptr<const GgufFile> file;  // keeps mapped tensors alive (null for synthesized weights)
  // How the file's quantized matrices are held; none when it has none.
  std::optional<QuantizedHolding> quantized;
  // Some F16/BF16 matrix is held as F32 (expand_16bit): its products then go through the F32 kernels,
  // whose sums differ from the 16-bit kernels' in the last bits, so the model computes other values.
  bool expanded_16bit = false;

  // Loads and validates every tensor's presence, type and shape against the hyper-parameters; errors
  // name the file, the tensor and what was expected.
  static ModelWeights load(std::shared_ptr<const GgufFile> file, const WeightLoadOptions& opts = {});

  // Bytes of weight storage held (mapped or owned).
  int64_t bytes() const;
  // Every matrix with its role: token_embd, output (when not tied), then each layer's seven.
  std::vector<const WeightMatrix*> matrices() const;
};

}  // namespace dbsa
