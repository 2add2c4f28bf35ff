// `dbsa model info` and `dbsa model synth`.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "engine/model_weights.h"
#include "engine/quant_kernels.h"
#include "engine/weight_holding.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"
#include "model/model_summary.h"
#include "model/model_synth.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false, tensors = false;
  PrecisionFlags precision;
};

// How the engine holds each weight matrix under the chosen precision: its type in memory and whether it
// is the file's mapped bytes (in place) or a copy made at load.
nlohmann::ordered_json held_weights(const std::shared_ptr<const GgufFile>& file, WeightPrecision p,
                                    WeightHolding& h) {
  nlohmann::ordered_json j;
  j["precision"] = weight_precision_name(p);
  const ModelWeights w = ModelWeights::load(file, WeightLoadOptions::for_precision(p));
  for (const WeightMatrix* m : w.matrices())
    j["matrices"].push_back({{"name", m->name},
                             {"file_type", ggml_type_name(m->file_type)},
                             {"held_as", weight_type_name(m->type)},
                             {"bytes", m->bytes()},
                             {"in_place", held_in_place(*m, file.get())}});
  h = describe_holding(w, file.get(), QuantKernels::Fastest);
  j["mapped_bytes"] = h.mapped_bytes;
  j["copied_bytes"] = h.copied_bytes;
  // The integer kernels' instruction set per quantized type held in blocks (chosen at run time).
  for (const auto& [type, isa] : h.kernels) j["kernels"][type] = isa;
  return j;
}

void run_info(const InfoArgs& a) {
  std::shared_ptr<const GgufFile> file = GgufFile::open(a.model);
  const ModelSummary sum = summarize_model(*file);
  const ModelHParams& hp = sum.hparams;
  const std::string& tok_model = sum.tokenizer_model;
  const std::string& tok_pre = sum.tokenizer_pre;
  // The header names the tokenizer; whether this program can use it (a known pre-tokenizer, a readable
  // vocabulary) only building it tells, and every command that tokenizes would refuse the file.
  std::string tok_error;
  try {
    Tokenizer::from_gguf(*file);
  } catch (const std::exception& e) {
    tok_error = e.what();
  }
  nlohmann::ordered_json j;
  j["file"] = a.model;
  j["file_size"] = file->file_size();
  j["gguf_version"] = file->version();
  j["architecture"] = hp.arch;
  j["name"] = hp.name;
  j["n_vocab"] = hp.n_vocab;
  j["n_ctx_train"] = hp.n_ctx_train;
  j["n_embd"] = hp.n_embd;
  j["n_layer"] = hp.n_layer;
  j["n_head"] = hp.n_head;
  j["n_head_kv"] = hp.n_head_kv;
  j["head_dim"] = hp.head_dim;
  j["n_ff"] = hp.n_ff;
  j["rms_norm_eps"] = hp.rms_norm_eps;
  j["rope_freq_base"] = hp.rope_freq_base;
  j["rope_layout"] = hp.rope_neox ? "neox" : "normal";
  j["rope_scaling"] = rope_scaling_name(hp.rope_scaling);
  if (hp.rope_scaling != RopeScaling::None) j["rope_scale_factor"] = hp.rope_scale_factor;
  j["tied_output"] = hp.tied_output;
  j["qkv_bias"] = hp.has_qkv_bias;
  j["n_params"] = sum.n_params;
  j["n_tensors"] = sum.n_tensors;
  j["tokenizer"] = {{"model", tok_model}, {"pre", tok_pre}};
  if (!tok_error.empty()) j["tokenizer"]["error"] = tok_error;
  for (const auto& [name, e] : sum.tensor_types)
    j["tensor_types"][name] = {{"tensors", e.tensors}, {"bytes", e.bytes}};
  WeightHolding holding;
  j["weights"] = held_weights(file, a.precision.value(), holding);
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "file          " << a.model << " (" << file->file_size() << " bytes, GGUF v" << file->version()
            << ")\n"
            << "architecture  " << hp.arch << (hp.name.empty() ? "" : "  (" + hp.name + ")") << "\n"
            << "parameters    " << sum.n_params << " in " << sum.n_tensors << " tensors\n"
            << "vocab         " << hp.n_vocab << "  tokenizer " << (tok_model.empty() ? "none" : tok_model)
            << (tok_pre.empty() ? "" : " / " + tok_pre)
            << (tok_error.empty() ? "" : "  (unusable here: " + tok_error + ")") << "\n"
            << "dims          n_embd " << hp.n_embd << ", n_layer " << hp.n_layer << ", n_head " << hp.n_head
            << ", n_head_kv " << hp.n_head_kv << ", head_dim " << hp.head_dim << ", n_ff " << hp.n_ff << "\n"
            << "context       " << hp.n_ctx_train << " (trained)\n"
            << "rope          base " << hp.rope_freq_base << ", " << (hp.rope_neox ? "neox" : "normal")
            << " layout, scaling " << rope_scaling_name(hp.rope_scaling) << "\n"
            << "output        " << (hp.tied_output ? "tied to token_embd" : "separate output.weight")
            << (hp.has_qkv_bias ? ", q/k/v biases" : "") << "\n"
            << "tensor types ";
  for (const auto& [name, e] : sum.tensor_types)
    std::cout << " " << name << "×" << e.tensors << " (" << e.bytes << " B)";
  std::cout << "\n";
  const auto& held = j["weights"];
  std::cout << "held as       " << held["precision"].get<std::string>() << ": " << held_summary(holding)
            << ";  " << holding.mapped_bytes << " B mapped, " << holding.copied_bytes << " B copied\n";
  if (!holding.kernels.empty())
    std::cout << "kernels       " << kernels_summary(holding)
              << "  (integer, this CPU, --backend cpu; cpu-reference keeps to the vector units; DBSA_MAX_ISA "
                 "caps both)\n";
  if (a.tensors)
    for (const auto& m : held["matrices"])
      std::cout << "  " << m["name"].get<std::string>() << "  " << m["file_type"].get<std::string>() << " -> "
                << m["held_as"].get<std::string>() << "  " << m["bytes"].get<int64_t>() << " B"
                << (m["in_place"].get<bool>() ? "  in place" : "  copied") << "\n";
}

}  // namespace

void register_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect or synthesize GGUF model files");
  model->require_subcommand(1);

  auto info = std::make_shared<InfoArgs>();
  auto* ci = model->add_subcommand("info",
                                   "Architecture, dimensions, vocabulary, tensor types and size of a GGUF "
                                   "model, and how its weights are held");
  add_model_option(ci, info->model, "model", "GGUF file, or `builtin`")->required();
  ci->add_flag("--json", info->json, "Print JSON");
  ci->add_flag("--tensors", info->tensors, "List every weight matrix with how it is held");
  add_precision_flags(ci, info->precision);
  ci->callback([info] { run_info(*info); });

  register_model_synth_command(*model);
}

}  // namespace dbsa::cli
