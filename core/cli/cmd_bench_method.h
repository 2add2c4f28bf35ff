#pragma once
// `bench dbsa` and `bench encode` (docs/BENCHMARKS.md), registered under the `bench` group by
// register_bench_commands, and the model/dataset loading they share.
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cache/cache_manifest.h"
#include "cli/cli_options.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
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

// The pool options both benches take, registered and reported the same way by each.
struct PoolBenchArgs {
  std::string model, dataset = "trec", data_dir, sink = "1", prev = "2", grouping = "in-order";
  int32_t block_demos = 50;
  WeightArgs weights;
  uint64_t seed = 0;
};
// --model, --dataset, --data-dir, --block-demos, --sink, --prev, --grouping, --seed and the weight options.
void add_pool_bench_options(CLI::App* c, PoolBenchArgs& p);
// Those options as fields of the bench's JSON, with the model's load time.
nlohmann::json pool_bench_fields(const PoolBenchArgs& p, double load_s);

// Loads the model (on the chosen backend and weight precision), its tokenizer and a paper dataset.
BenchSetup load_bench_setup(const PoolBenchArgs& p);

}  // namespace dbsa::cli
