#pragma once
// The tensors of a Llama-family model, taken from a GGUF file. F32 matrices are used in place (they
// point into the memory-mapped file), F16/BF16 stay 16-bit (widened in the matmul) or are expanded to
// F32, and quantized matrices are dequantized once at load to F16 or F32.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/weight_matrix.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"

namespace dbsa {

struct WeightLoadOptions {
  WeightType quantized_to = WeightType::F16;  // F16 or F32: storage of dequantized matrices
  bool expand_16bit = false;                  // store F16/BF16 matrices as F32 (faster sgemm, 2× memory)
  // Round activations the way the reference engine does for each weight's source type (F16 for F16
  // weights, 8-bit blocks for quantized ones), so results agree with it; false keeps F32 activations.
  bool reference_activations = true;
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

  // Loads and validates every tensor's presence, type and shape against the hyper-parameters; errors
  // name the file, the tensor and what was expected.
  static ModelWeights load(std::shared_ptr<const GgufFile> file, const WeightLoadOptions& opts = {});

  // Bytes of weight storage held (mapped or owned).
  int64_t bytes() const;
  // The storage type of the matrices dequantized from quantized tensors; none when the file has no
  // quantized matrices (then no load option changes any value the model computes).
  std::optional<WeightType> dequantized_type() const;
};

}  // namespace dbsa
