#pragma once
// What a GGUF file holds at a glance (`dbsa model info`, the studio's Model page): hyper-parameters,
// parameter and tensor counts, tokenizer kind, and tensors/bytes per tensor type — the per-type counts
// tell how a file is quantized (e.g. a Q4_K_M mix).
#include <cstdint>
#include <map>
#include <string>

#include "model/gguf_file.h"
#include "model/model_hparams.h"

namespace dbsa {

struct TensorTypeUse {
  size_t tensors = 0;
  uint64_t bytes = 0;
};

struct ModelSummary {
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  ModelHParams hparams;
  uint64_t n_params = 0;
  size_t n_tensors = 0;
  std::string tokenizer_model;                        // tokenizer.ggml.model, empty when absent
  std::string tokenizer_pre;                          // tokenizer.ggml.pre, empty when absent
  std::map<std::string, TensorTypeUse> tensor_types;  // by ggml type name
};

// Throws what read_hparams throws (naming the file and key) for a file that is not a usable model.
ModelSummary summarize_model(const GgufFile& file);

// Whether some tensor of the file is in quantized blocks (a type of more than one element per block) or
// 16-bit (F16, BF16): only then do the --weights-* holdings compute different values
// (method/model_identity.h). An F32 file computes the same under each.
bool weights_holding_matters(const GgufFile& file);

std::string rope_scaling_name(RopeScaling s);  // "none", "linear", "llama3"

}  // namespace dbsa
