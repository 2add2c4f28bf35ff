#include "model/model_summary.h"

#include "model/ggml_type.h"

namespace dbsa {

ModelSummary summarize_model(const GgufFile& file) {
  ModelSummary s;
  s.file_size = file.file_size();
  s.gguf_version = file.version();
  s.hparams = read_hparams(file);
  for (const auto& t : file.tensors()) {
    auto& use = s.tensor_types[std::string(ggml_type_name(t.type))];
    use.tensors += 1;
    use.bytes += t.n_bytes;
    s.n_params += t.n_elements;
  }
  s.n_tensors = file.tensors().size();
  s.tokenizer_model = file.get_string_or("tokenizer.ggml.model", "");
  s.tokenizer_pre = file.get_string_or("tokenizer.ggml.pre", "");
  return s;
}

std::string rope_scaling_name(RopeScaling s) {
  switch (s) {
    case RopeScaling::None:
      return "none";
    case RopeScaling::Linear:
      return "linear";
    case RopeScaling::Llama3:
      return "llama3";
  }
  return "?";
}

bool weights_holding_matters(const GgufFile& file) {
  for (const GgufTensorInfo& t : file.tensors()) {
    if (t.type == GgmlType::F16 || t.type == GgmlType::BF16) return true;
    const auto info = ggml_type_info(static_cast<uint32_t>(t.type));
    if (info && info->block_elems > 1) return true;
  }
  return false;
}

}  // namespace dbsa
