#include "model/model_hparams.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace dbsa {
namespace {

constexpr std::array<std::string_view, 3> kArchs{"llama", "mistral", "qwen2"};

std::string shape_str(const std::vector<uint64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

class Keys {
 public:
  Keys(const GgufFile& f, std::string arch) : f_(f), prefix_(std::move(arch) + ".") {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& got) const {
    throw GgufError(f_.path() + ": key '" + key + "': expected " + expected + ", got " + got);
  }
  std::string key(std::string_view suffix) const { return prefix_ + std::string(suffix); }
  bool has(std::string_view suffix) const { return f_.has(key(suffix)); }

  // A positive count that fits 32 bits.
  uint32_t count(std::string_view suffix) const {
    const std::string k = key(suffix);
    const uint64_t v = f_.get_u64(k);
    if (v == 0 || v > std::numeric_limits<uint32_t>::max())
      fail(k, "a count in 1..2^32-1", std::to_string(v));
    return static_cast<uint32_t>(v);
  }
  uint32_t count_or(std::string_view suffix, uint32_t def) const { return has(suffix) ? count(suffix) : def; }

  float positive_or(std::string_view suffix, float def) const {
    const std::string k = key(suffix);
    if (!f_.has(k)) return def;
    const double v = f_.get_f64(k);
    if (!(v > 0.0) || v > std::numeric_limits<float>::max())
      fail(k, "a positive finite number", std::to_string(v));
    return static_cast<float>(v);
  }

 private:
  const GgufFile& f_;
  std::string prefix_;
};

void check_shape(const GgufFile& f, const std::string& name, std::vector<uint64_t> expected) {
  const GgufTensorInfo& t = f.tensor(name);
  if (t.dims != expected) {
    throw GgufError(f.path() + ": tensor '" + name + "': expected shape " + shape_str(expected) + ", got " +
                    shape_str(t.dims));
  }
}

}  // namespace

namespace {

// Sizes of the attention and the feed-forward network, and the norm epsilon.
void read_shape(const GgufFile& f, const Keys& k, ModelHParams& hp) {
  hp.n_ctx_train = k.count("context_length");
  hp.n_embd = k.count("embedding_length");
  hp.n_layer = k.count("block_count");
  hp.n_ff = k.count("feed_forward_length");
  hp.n_head = k.count("attention.head_count");
  hp.n_head_kv = k.count_or("attention.head_count_kv", hp.n_head);
  if (hp.n_head % hp.n_head_kv != 0) {
    k.fail(k.key("attention.head_count_kv"), "a divisor of the head count " + std::to_string(hp.n_head),
           std::to_string(hp.n_head_kv));
  }
  if (k.has("attention.key_length")) {
    hp.head_dim = k.count("attention.key_length");
  } else {
    if (hp.n_embd % hp.n_head != 0) {
      k.fail(k.key("attention.head_count"), "a divisor of the embedding length " + std::to_string(hp.n_embd),
             std::to_string(hp.n_head));
    }
    hp.head_dim = hp.n_embd / hp.n_head;
  }
  if (k.has("attention.value_length") && k.count("attention.value_length") != hp.head_dim) {
    k.fail(k.key("attention.value_length"), "the key length " + std::to_string(hp.head_dim),
           std::to_string(k.count("attention.value_length")));
  }
  if (hp.head_dim % 2 != 0)
    k.fail(k.key("attention.key_length"), "an even head size", std::to_string(hp.head_dim));

  {
    const std::string eps_key = k.key("attention.layer_norm_rms_epsilon");
    const double eps = f.get_f64(eps_key);
    if (!(eps > 0.0 && eps < 1.0)) k.fail(eps_key, "an epsilon in (0, 1)", std::to_string(eps));
    hp.rms_norm_eps = static_cast<float>(eps);
  }
}

// RoPE: base, dimensions, the NeoX layout and the scaling (none, linear, llama3).
void read_rope(const GgufFile& f, const Keys& k, ModelHParams& hp) {
  hp.rope_freq_base = k.positive_or("rope.freq_base", 10000.0f);
  hp.rope_dim = k.count_or("rope.dimension_count", hp.head_dim);
  if (hp.rope_dim > hp.head_dim || hp.rope_dim % 2 != 0) {
    k.fail(k.key("rope.dimension_count"), "an even count <= the head size " + std::to_string(hp.head_dim),
           std::to_string(hp.rope_dim));
  }
  hp.rope_neox = hp.arch == "qwen2";

  const std::string scaling = f.get_string_or(k.key("rope.scaling.type"), "none");
  if (scaling == "none") {
    hp.rope_scaling = RopeScaling::None;
  } else if (scaling == "linear") {
    hp.rope_scaling = RopeScaling::Linear;
  } else if (scaling == "llama3") {
    hp.rope_scaling = RopeScaling::Llama3;
  } else {
    k.fail(k.key("rope.scaling.type"), "one of none, linear, llama3", "'" + scaling + "'");
  }
  hp.rope_scale_factor = k.positive_or("rope.scaling.factor", 1.0f);
  hp.rope_low_freq_factor = k.positive_or("rope.scaling.low_freq_factor", 1.0f);
  hp.rope_high_freq_factor = k.positive_or("rope.scaling.high_freq_factor", 4.0f);
  hp.rope_orig_ctx = k.count_or("rope.scaling.original_context_length", 8192);
  if (hp.rope_scaling == RopeScaling::Llama3 && !(hp.rope_high_freq_factor > hp.rope_low_freq_factor)) {
    k.fail(k.key("rope.scaling.high_freq_factor"),
           "a value above the low_freq_factor " + std::to_string(hp.rope_low_freq_factor),
           std::to_string(hp.rope_high_freq_factor));
  }
}

void read_vocab_size(const GgufFile& f, const Keys& k, ModelHParams& hp) {
  // The vocabulary size comes from the tokenizer when present; the embedding must agree with it.
  const GgufTensorInfo& embd = f.tensor("token_embd.weight");
  if (const GgufValue* tokens = f.find("tokenizer.ggml.tokens")) {
    const uint64_t n = tokens->as_array("tokenizer.ggml.tokens").items.size();
    if (n == 0 || n > std::numeric_limits<uint32_t>::max()) {
      throw GgufError(f.path() + ": key 'tokenizer.ggml.tokens': expected 1..2^32-1 tokens, got " +
                      std::to_string(n));
    }
    hp.n_vocab = static_cast<uint32_t>(n);
  } else {
    if (embd.dims.size() != 2 || embd.dims[1] > std::numeric_limits<uint32_t>::max()) {
      throw GgufError(f.path() + ": tensor 'token_embd.weight': expected shape [n_embd, n_vocab], got " +
                      shape_str(embd.dims));
    }
    hp.n_vocab = static_cast<uint32_t>(embd.dims[1]);
  }
  // The optional vocab_size key is a third statement of the same size; one that disagrees means the
  // file was assembled from parts of two models, whose token ids would silently index the wrong rows.
  if (k.has("vocab_size") && k.count("vocab_size") != hp.n_vocab) {
    k.fail(k.key("vocab_size"),
           std::to_string(hp.n_vocab) + (f.has("tokenizer.ggml.tokens")
                                             ? " (the tokens of tokenizer.ggml.tokens)"
                                             : " (the rows of token_embd.weight)"),
           std::to_string(k.count("vocab_size")));
  }
}

// Every tensor the forward pass reads has the shape the hyper-parameters imply; which optional ones
// (output, biases, RoPE frequencies) the file has.
void check_tensors(const GgufFile& f, ModelHParams& hp) {
  const uint64_t n_q = uint64_t{hp.n_head} * hp.head_dim;
  const uint64_t n_kv = uint64_t{hp.n_head_kv} * hp.head_dim;
  check_shape(f, "token_embd.weight", {hp.n_embd, hp.n_vocab});
  check_shape(f, "output_norm.weight", {hp.n_embd});
  hp.tied_output = f.find_tensor("output.weight") == nullptr;
  if (!hp.tied_output) check_shape(f, "output.weight", {hp.n_embd, hp.n_vocab});
  hp.has_qkv_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (const GgufTensorInfo* freqs = f.find_tensor("rope_freqs.weight")) {
    hp.has_rope_freqs = true;
    check_shape(f, freqs->name, {hp.rope_dim / 2});
  }

  for (uint32_t i = 0; i < hp.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    check_shape(f, b + "attn_norm.weight", {hp.n_embd});
    check_shape(f, b + "attn_q.weight", {hp.n_embd, n_q});
    check_shape(f, b + "attn_k.weight", {hp.n_embd, n_kv});
    check_shape(f, b + "attn_v.weight", {hp.n_embd, n_kv});
    check_shape(f, b + "attn_output.weight", {n_q, hp.n_embd});
    check_shape(f, b + "ffn_norm.weight", {hp.n_embd});
    check_shape(f, b + "ffn_gate.weight", {hp.n_embd, hp.n_ff});
    check_shape(f, b + "ffn_up.weight", {hp.n_embd, hp.n_ff});
    check_shape(f, b + "ffn_down.weight", {hp.n_ff, hp.n_embd});
    if (hp.has_qkv_bias) {
      check_shape(f, b + "attn_q.bias", {n_q});
      check_shape(f, b + "attn_k.bias", {n_kv});
      check_shape(f, b + "attn_v.bias", {n_kv});
    }
  }
}

}  // namespace

ModelHParams read_hparams(const GgufFile& f) {
  ModelHParams hp;
  hp.arch = f.get_string("general.architecture");
  bool known = false;
  for (auto a : kArchs) known = known || hp.arch == a;
  if (!known) {
    throw GgufError(f.path() + ": key 'general.architecture': expected one of llama, mistral, qwen2, got '" +
                    hp.arch + "'");
  }
  hp.name = f.get_string_or("general.name", "");
  const Keys k(f, hp.arch);

  if (k.has("expert_count") && f.get_u64(k.key("expert_count")) > 0) {
    k.fail(k.key("expert_count"), "0 (mixture-of-experts models are not supported)",
           std::to_string(f.get_u64(k.key("expert_count"))));
  }

  read_shape(f, k, hp);
  read_rope(f, k, hp);
  read_vocab_size(f, k, hp);
  check_tensors(f, hp);
  return hp;
}

}  // namespace dbsa
