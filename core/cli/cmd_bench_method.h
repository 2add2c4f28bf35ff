#pragma once
// `bench dbsa` and `bench encode` (issue #4's benchmarks), registered under the `bench` group by
// register_bench_commands, and the model/dataset loading they share.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/cli_options.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "method/cache_manifest.h"
#include "text/tokenizer.h"

namespace dbsa::cli {

void register_bench_dbsa_command(CLI::App& bench);
void register_bench_encode_command(CLI::App& bench);

struct BenchSetup {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tok;
  Dataset dataset;
  CacheManifest manifest;  // model, tokenizer, dataset, template, labels, seed (n_demos set by the cache)
  double load_s = 0.0;
};

// Loads the model (on the chosen backend and weight precision), its tokenizer and a paper dataset.
BenchSetup load_bench_setup(const std::string& model_path, const std::string& dataset,
                            const std::string& data_dir, const WeightArgs& weights, uint64_t seed);

}  // namespace dbsa::cli
