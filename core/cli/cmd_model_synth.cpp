// `dbsa model synth`: deterministic random-weight Llama models (benchmarks, tests, the default job).
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "cli/cli.h"
#include "model/model_synth.h"

namespace dbsa::cli {
namespace {

struct SynthArgs {
  std::string out;
  std::string preset = "tiny";
  std::string tokenizer_from, tokenizer_pre;
  std::string weight_type = "f32";
  std::optional<uint64_t> seed;
  std::optional<uint32_t> n_layer, n_embd, n_ff, n_head, n_head_kv;
  bool quiet = false;
};

GgmlType parse_weight_type(const std::string& s) {
  if (s == "f32") return GgmlType::F32;
  if (s == "f16") return GgmlType::F16;
  if (s == "q8_0") return GgmlType::Q8_0;
  throw std::invalid_argument("model synth: --weight-type must be f32, f16 or q8_0, got '" + s + "'");
}

void run_synth(const SynthArgs& a) {
  SynthSpec spec = synth_preset(a.preset);
  spec.weight_type = parse_weight_type(a.weight_type);
  spec.tokenizer_from = a.tokenizer_from;
  spec.tokenizer_pre = a.tokenizer_pre;
  if (a.seed) spec.seed = *a.seed;
  if (a.n_layer) spec.n_layer = *a.n_layer;
  if (a.n_embd) spec.n_embd = *a.n_embd;
  if (a.n_ff) spec.n_ff = *a.n_ff;
  if (a.n_head) spec.n_head = *a.n_head;
  if (a.n_head_kv) spec.n_head_kv = *a.n_head_kv;
  SynthProgress progress;
  if (!a.quiet) {
    progress = [](double f) {
      std::fprintf(stderr, "\rsynthesizing %3d%%", static_cast<int>(f * 100.0 + 0.5));
      return true;
    };
  }
  synth_model(spec, a.out, progress);
  if (!a.quiet) std::fprintf(stderr, "\n");
  std::cout << "wrote " << a.out << " (preset " << a.preset << ", " << a.weight_type << ", seed " << spec.seed
            << ")\n";
}

}  // namespace

void register_model_synth_command(CLI::App& model) {
  auto a = std::make_shared<SynthArgs>();
  auto* c = model.add_subcommand("synth", "Write a deterministic random-weight Llama GGUF model");
  c->add_option("--out,-o", a->out, "Output GGUF file (written atomically)")->required();
  std::string presets;
  for (const auto& p : synth_preset_names()) presets += (presets.empty() ? "" : ", ") + p;
  c->add_option("--preset", a->preset, "Shape preset: " + presets)->capture_default_str();
  auto* from = c->add_option(
      "--tokenizer-from", a->tokenizer_from,
      "GGUF whose tokenizer is copied (default: a built-in byte-fallback SentencePiece vocabulary)");
  c->add_option("--tokenizer-pre", a->tokenizer_pre,
                "Set the copied tokenizer's tokenizer.ggml.pre (its vocabulary under another pre-tokenizer's "
                "rules; any name is written, `dbsa model info` says whether it is usable)")
      ->needs(from);
  c->add_option("--weight-type", a->weight_type, "Matrix type: f32, f16 or q8_0")->capture_default_str();
  c->add_option("--seed", a->seed, "Random seed (same seed and shape: byte-identical file)");
  c->add_option("--n-layer", a->n_layer, "Override the preset's layer count");
  c->add_option("--n-embd", a->n_embd, "Override the preset's embedding width");
  c->add_option("--n-ff", a->n_ff, "Override the preset's feed-forward width");
  c->add_option("--n-head", a->n_head, "Override the preset's attention heads");
  c->add_option("--n-head-kv", a->n_head_kv, "Override the preset's key/value heads");
  c->add_flag("--quiet,-q", a->quiet, "No progress output");
  c->callback([a] { run_synth(*a); });
}

}  // namespace dbsa::cli
