// `dbsa model info` and `dbsa model synth`.
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"
#include "model/model_synth.h"

namespace dbsa::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
};

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

void run_info(const InfoArgs& a) {
  auto file = GgufFile::open(a.model);
  ModelHParams hp = read_hparams(*file);
  // Counting tensors and bytes per type tells at a glance how a file is quantized (e.g. a Q4_K_M mix).
  std::map<std::string, std::pair<size_t, uint64_t>> by_type;
  uint64_t n_params = 0;
  for (const auto& t : file->tensors()) {
    auto& e = by_type[std::string(ggml_type_name(t.type))];
    e.first += 1;
    e.second += t.n_bytes;
    n_params += t.n_elements;
  }
  std::string tok_model = file->get_string_or("tokenizer.ggml.model", "");
  std::string tok_pre = file->get_string_or("tokenizer.ggml.pre", "");
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
  j["n_params"] = n_params;
  j["n_tensors"] = file->tensors().size();
  j["tokenizer"] = {{"model", tok_model}, {"pre", tok_pre}};
  for (const auto& [name, e] : by_type) j["tensor_types"][name] = {{"tensors", e.first}, {"bytes", e.second}};
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "file          " << a.model << " (" << file->file_size() << " bytes, GGUF v" << file->version()
            << ")\n"
            << "architecture  " << hp.arch << (hp.name.empty() ? "" : "  (" + hp.name + ")") << "\n"
            << "parameters    " << n_params << " in " << file->tensors().size() << " tensors\n"
            << "vocab         " << hp.n_vocab << "  tokenizer " << (tok_model.empty() ? "none" : tok_model)
            << (tok_pre.empty() ? "" : " / " + tok_pre) << "\n"
            << "dims          n_embd " << hp.n_embd << ", n_layer " << hp.n_layer << ", n_head " << hp.n_head
            << ", n_head_kv " << hp.n_head_kv << ", head_dim " << hp.head_dim << ", n_ff " << hp.n_ff << "\n"
            << "context       " << hp.n_ctx_train << " (trained)\n"
            << "rope          base " << hp.rope_freq_base << ", " << (hp.rope_neox ? "neox" : "normal")
            << " layout, scaling " << rope_scaling_name(hp.rope_scaling) << "\n"
            << "output        " << (hp.tied_output ? "tied to token_embd" : "separate output.weight")
            << (hp.has_qkv_bias ? ", q/k/v biases" : "") << "\n"
            << "tensor types ";
  for (const auto& [name, e] : by_type)
    std::cout << " " << name << "×" << e.first << " (" << e.second << " B)";
  std::cout << "\n";
}

}  // namespace

void register_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect or synthesize GGUF model files");
  model->require_subcommand(1);

  auto info = std::make_shared<InfoArgs>();
  auto* ci = model->add_subcommand(
      "info", "Architecture, dimensions, vocabulary, tensor types and size of a GGUF model");
  ci->add_option("model", info->model, "GGUF file")->required();
  ci->add_flag("--json", info->json, "Print JSON");
  ci->callback([info] { run_info(*info); });

  register_model_synth_command(*model);
}

}  // namespace dbsa::cli
