#include "model/model_synth.h"

#include <cmath>
#include <random>

#include "model/gguf_file.h"
#include "model/quantize.h"

namespace dbsa {
namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// std::normal_distribution is implementation-defined; Marsaglia's polar method over mt19937_64 (fully
// specified by the standard) keeps files identical across standard libraries, and avoids the sin/cos of
// Box-Muller (about 20% faster here).
std::vector<float> normal_values(uint64_t seed, std::string_view name, uint64_t n, float stddev) {
  std::mt19937_64 rng(seed ^ fnv1a(name));
  auto symmetric = [&] { return static_cast<double>(rng() >> 11) * 0x1p-52 - 1.0; };  // [-1, 1)
  std::vector<float> out(n);
  for (uint64_t i = 0; i < n; i += 2) {
    double u, v, q;
    do {
      u = symmetric();
      v = symmetric();
      q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    const double m = std::sqrt(-2.0 * std::log(q) / q) * stddev;
    out[i] = static_cast<float>(u * m);
    if (i + 1 < n) out[i + 1] = static_cast<float>(v * m);
  }
  return out;
}

uint32_t file_type_of(GgmlType t) {
  switch (t) {
    case GgmlType::F32:
      return 0;
    case GgmlType::F16:
      return 1;
    case GgmlType::Q8_0:
      return 7;
    default:
      break;
  }
  throw std::invalid_argument("synth: weight type must be F32, F16 or Q8_0, got " +
                              std::string(ggml_type_name(t)));
}

void check_spec(const SynthSpec& s) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("synth: " + what); };
  if (!s.n_embd || !s.n_layer || !s.n_head || !s.n_head_kv || !s.n_ff || !s.n_ctx) {
    fail("every dimension must be >= 1");
  }
  if (s.n_embd % s.n_head != 0) fail("n_embd must be a multiple of n_head");
  if (s.n_head % s.n_head_kv != 0) fail("n_head must be a multiple of n_head_kv");
  if ((s.n_embd / s.n_head) % 2 != 0) fail("the head size n_embd / n_head must be even (RoPE pairs)");
  if (!(s.rope_base > 0.0f)) fail("rope_base must be positive");
  file_type_of(s.weight_type);
  const uint64_t block = ggml_type_info(static_cast<uint32_t>(s.weight_type))->block_elems;
  if (s.n_embd % block != 0 || s.n_ff % block != 0) {
    fail("n_embd and n_ff must be multiples of " + std::to_string(block) + " for " +
         std::string(ggml_type_name(s.weight_type)));
  }
}

}  // namespace

std::vector<std::string> synth_preset_names() {
  return {"tiny", "smollm-135m"};
}

SynthSpec synth_preset(std::string_view name) {
  SynthSpec s;
  if (name == "tiny") {
    s.name = "dbsa-synth-tiny";
    return s;  // the defaults are the tiny model
  }
  if (name == "smollm-135m") {
    s.n_embd = 576;
    s.n_layer = 30;
    s.n_head = 9;
    s.n_head_kv = 3;
    s.n_ff = 1536;
    s.n_ctx = 8192;
    s.name = "dbsa-synth-smollm-135m";
    return s;
  }
  throw std::invalid_argument("unknown synth preset '" + std::string(name) +
                              "' (presets: tiny, smollm-135m)");
}

GgufWriter synth_writer(const SynthSpec& spec, const SynthProgress& progress) {
  check_spec(spec);
  GgufWriter w;
  const uint32_t head_dim = spec.n_embd / spec.n_head;
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", spec.name);
  w.set_u32("general.file_type", file_type_of(spec.weight_type));
  w.set_u32("llama.context_length", spec.n_ctx);
  w.set_u32("llama.embedding_length", spec.n_embd);
  w.set_u32("llama.block_count", spec.n_layer);
  w.set_u32("llama.feed_forward_length", spec.n_ff);
  w.set_u32("llama.attention.head_count", spec.n_head);
  w.set_u32("llama.attention.head_count_kv", spec.n_head_kv);
  w.set_u32("llama.rope.dimension_count", head_dim);
  w.set_f32("llama.rope.freq_base", spec.rope_base);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);

  uint32_t n_vocab = 0;
  if (spec.tokenizer_from.empty()) {
    n_vocab = add_builtin_spm_vocab(w);
  } else {
    const auto src = GgufFile::open(spec.tokenizer_from);
    if (w.copy_prefix(*src, "tokenizer.") == 0 || !src->has("tokenizer.ggml.tokens")) {
      throw GgufError(spec.tokenizer_from + ": expected tokenizer.* keys to copy, got none");
    }
    n_vocab = static_cast<uint32_t>(src->get_array("tokenizer.ggml.tokens").items.size());
    if (!spec.tokenizer_pre.empty()) w.set_string("tokenizer.ggml.pre", spec.tokenizer_pre);
  }
  if (spec.tokenizer_from.empty() && !spec.tokenizer_pre.empty())
    throw std::invalid_argument("synth: a pre-tokenizer name needs a copied tokenizer (tokenizer_from)");
  w.set_u32("llama.vocab_size", n_vocab);

  const uint64_t n_kv = uint64_t{spec.n_head_kv} * head_dim;
  const uint64_t n_tensors = 2 + 9ull * spec.n_layer;
  uint64_t done = 0;
  auto step = [&] {
    ++done;
    if (progress && !progress(static_cast<double>(done) / static_cast<double>(n_tensors)))
      throw SynthCancelled();
  };
  auto matrix = [&](const std::string& name, uint64_t cols, uint64_t rows) {
    const auto values = normal_values(spec.seed, name, cols * rows, 0.02f);
    const auto bytes = quantize(spec.weight_type, values);
    w.add_tensor(name, spec.weight_type, {cols, rows}, bytes);
    step();
  };
  auto norm = [&](const std::string& name) {
    const std::vector<float> ones(spec.n_embd, 1.0f);
    w.add_tensor_f32(name, {spec.n_embd}, ones);
    step();
  };

  matrix("token_embd.weight", spec.n_embd, n_vocab);
  for (uint32_t i = 0; i < spec.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    norm(b + "attn_norm.weight");
    matrix(b + "attn_q.weight", spec.n_embd, spec.n_embd);
    matrix(b + "attn_k.weight", spec.n_embd, n_kv);
    matrix(b + "attn_v.weight", spec.n_embd, n_kv);
    matrix(b + "attn_output.weight", spec.n_embd, spec.n_embd);
    norm(b + "ffn_norm.weight");
    matrix(b + "ffn_gate.weight", spec.n_embd, spec.n_ff);
    matrix(b + "ffn_up.weight", spec.n_embd, spec.n_ff);
    matrix(b + "ffn_down.weight", spec.n_ff, spec.n_embd);
  }
  norm("output_norm.weight");
  return w;
}

void synth_model(const SynthSpec& spec, const std::string& out_path, const SynthProgress& progress) {
  synth_writer(spec, progress).write(out_path);
}

}  // namespace dbsa
