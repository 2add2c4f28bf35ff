#include "engine/model_weights.h"

#include <optional>
#include <stdexcept>
#include <string>

#include "engine/activation_rounding.h"
#include "model/dequantize.h"

namespace dbsa {

namespace {

std::string shape_str(const GgufTensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

[[noreturn]] void fail(const GgufFile& f, const std::string& what) {
  throw GgufError(f.path() + ": " + what);
}

WeightMatrix load_matrix_as_stored(const std::shared_ptr<const GgufFile>& file, const std::string& name,
                                   int64_t rows, int64_t cols, const WeightLoadOptions& opts);

// The WeightType that holds GGUF type t's blocks as they are, for the types with integer kernels.
std::optional<WeightType> block_type(GgmlType t) {
  for (const WeightType w : {WeightType::Q8_0, WeightType::Q4_0, WeightType::Q5_0, WeightType::Q4_1,
                             WeightType::Q5_1, WeightType::IQ4_NL, WeightType::Q2_K, WeightType::Q3_K,
                             WeightType::Q4_K, WeightType::Q5_K, WeightType::Q6_K, WeightType::IQ4_XS})
    if (ggml_type_of(w) == t) return w;
  return std::nullopt;
}

WeightMatrix load_matrix(const std::shared_ptr<const GgufFile>& file, const std::string& name, int64_t rows,
                         int64_t cols, const WeightLoadOptions& opts) {
  WeightMatrix w = load_matrix_as_stored(file, name, rows, cols, opts);
  w.file_type = file->tensor(name).type;
  if (opts.reference_activations) {
    w.act_rounding = reference_rounding(w.file_type);
    // F16 storage already rounds the dequantized values, so exact sums would buy nothing there.
    w.exact_sums = w.dequantized && w.type == WeightType::F32;
  }
  return w;
}

WeightMatrix load_matrix_as_stored(const std::shared_ptr<const GgufFile>& file, const std::string& name,
                                   int64_t rows, int64_t cols, const WeightLoadOptions& opts) {
  const GgufTensorInfo& t = file->tensor(name);
  if (t.dims.size() != 2 || static_cast<int64_t>(t.dims[0]) != cols ||
      static_cast<int64_t>(t.dims[1]) != rows)
    fail(*file, "tensor " + name + " has shape " + shape_str(t) + ", expected [" + std::to_string(cols) +
                    ", " + std::to_string(rows) + "]");
  WeightMatrix w;
  w.name = name;
  w.rows = rows;
  w.cols = cols;
  const bool is16 = t.type == GgmlType::F16 || t.type == GgmlType::BF16;
  if (t.type == GgmlType::F32 || (is16 && !opts.expand_16bit)) {
    w.type = t.type == GgmlType::F32   ? WeightType::F32
             : t.type == GgmlType::F16 ? WeightType::F16
                                       : WeightType::BF16;
    w.data = t.data;
    w.owner = file;
    return w;
  }
  if (const auto bt = block_type(t.type); bt && opts.quantized == QuantizedHolding::InBlocks) {
    w.type = *bt;
    w.data = t.data;
    w.owner = file;
    return w;
  }
  std::vector<float> values = dequantize_tensor(t);
  WeightMatrix out = !is16 && opts.quantized != QuantizedHolding::F32
                         ? make_16bit_matrix(name, WeightType::F16, rows, cols, values)
                         : make_f32_matrix(name, rows, cols, std::move(values));
  out.dequantized = !is16;
  return out;
}

std::vector<float> load_vector(const GgufFile& f, const std::string& name, int64_t n) {
  const GgufTensorInfo& t = f.tensor(name);
  if (static_cast<int64_t>(t.n_elements) != n)
    fail(f,
         "tensor " + name + " has shape " + shape_str(t) + ", expected " + std::to_string(n) + " elements");
  return dequantize_tensor(t);
}

std::vector<float> load_optional_vector(const GgufFile& f, const std::string& name, int64_t n) {
  return f.find_tensor(name) ? load_vector(f, name, n) : std::vector<float>{};
}

}  // namespace

std::string_view weight_precision_name(WeightPrecision p) {
  switch (p) {
    case WeightPrecision::Native:
      return "native";
    case WeightPrecision::F16:
      return "f16";
    case WeightPrecision::F32:
      return "f32";
  }
  return "?";
}

WeightLoadOptions WeightLoadOptions::for_precision(WeightPrecision p) {
  WeightLoadOptions o;
  if (p == WeightPrecision::F16) o.quantized = QuantizedHolding::F16;
  if (p == WeightPrecision::F32) {
    o.quantized = QuantizedHolding::F32;
    o.expand_16bit = true;
  }
  return o;
}

ModelWeights ModelWeights::load(std::shared_ptr<const GgufFile> file, const WeightLoadOptions& opts) {
  ModelWeights m;
  m.file = file;
  m.hp = read_hparams(*file);
  const auto& hp = m.hp;
  const int64_t embd = hp.n_embd, hd = hp.head_dim, q_dim = static_cast<int64_t>(hp.n_head) * hd,
                kv_dim = static_cast<int64_t>(hp.n_head_kv) * hd, ff = hp.n_ff, vocab = hp.n_vocab;
  m.token_embd = load_matrix(file, "token_embd.weight", vocab, embd, opts);
  m.output_norm = load_vector(*file, "output_norm.weight", embd);
  if (file->find_tensor("output.weight"))
    m.output = load_matrix(file, "output.weight", vocab, embd, opts);
  else
    m.output = m.token_embd;
  if (file->find_tensor("rope_freqs.weight"))
    m.rope_freqs = load_vector(*file, "rope_freqs.weight", hp.rope_dim / 2);
  m.layers.resize(hp.n_layer);
  for (uint32_t l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights& L = m.layers[l];
    L.attn_norm = load_vector(*file, p + "attn_norm.weight", embd);
    L.wq = load_matrix(file, p + "attn_q.weight", q_dim, embd, opts);
    L.wk = load_matrix(file, p + "attn_k.weight", kv_dim, embd, opts);
    L.wv = load_matrix(file, p + "attn_v.weight", kv_dim, embd, opts);
    L.wo = load_matrix(file, p + "attn_output.weight", embd, q_dim, opts);
    L.bq = load_optional_vector(*file, p + "attn_q.bias", q_dim);
    L.bk = load_optional_vector(*file, p + "attn_k.bias", kv_dim);
    L.bv = load_optional_vector(*file, p + "attn_v.bias", kv_dim);
    L.ffn_norm = load_vector(*file, p + "ffn_norm.weight", embd);
    L.w_gate = load_matrix(file, p + "ffn_gate.weight", ff, embd, opts);
    L.w_up = load_matrix(file, p + "ffn_up.weight", ff, embd, opts);
    L.w_down = load_matrix(file, p + "ffn_down.weight", embd, ff, opts);
  }
  for (const WeightMatrix* w : m.matrices()) {
    if (w->dequantized || is_quantized(w->type)) m.quantized = opts.quantized;
    if ((w->file_type == GgmlType::F16 || w->file_type == GgmlType::BF16) && w->type == WeightType::F32)
      m.expanded_16bit = true;
  }
  return m;
}

std::vector<const WeightMatrix*> ModelWeights::matrices() const {
  std::vector<const WeightMatrix*> all = {&token_embd};
  if (output.data != token_embd.data) all.push_back(&output);
  for (const auto& L : layers)
    for (const WeightMatrix* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
      all.push_back(w);
  return all;
}

int64_t ModelWeights::bytes() const {
  int64_t total = 0;
  for (const WeightMatrix* w : matrices()) total += w->bytes();
  return total;
}

}  // namespace dbsa
