// `dbsa bench encode`: pre-encoding time per pool size, block-sparse vs dense, and the growth ratio
// time(2B) / time(B) of issue #4 (target <= 2.1 for block-sparse).
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cmd_bench_method.h"
#include "method/encode_bench.h"

namespace dbsa::cli {
namespace {

struct BenchEncodeArgs {
  std::string model, dataset = "trec", data_dir, blocks = "8,16,32", sink = "1", prev = "2";
  std::string grouping = "in-order", scratch_dir;
  int32_t block_demos = 50;
  int64_t chunk = 256;
  int repeats = 1;
  WeightArgs weights;
  uint64_t seed = 0;
  bool dense = false, json = false;
};

std::vector<int32_t> parse_counts(const std::string& s) {
  std::vector<int32_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    const int32_t n = parse_block_count(item, "--blocks");
    if (n < 1) throw std::runtime_error("bench encode: --blocks expects counts >= 1, got '" + item + "'");
    out.push_back(n);
  }
  return out;
}

void print_text(const EncodeBenchReport& r, const BenchEncodeArgs& a, double load_s) {
  std::printf("bench encode: %s, %s, %d demos per block, S=%s P=%s, median of %d (model load %.2f s)\n",
              a.model.c_str(), a.dataset.c_str(), a.block_demos, a.sink.c_str(), a.prev.c_str(), a.repeats,
              load_s);
  std::printf("%-13s %7s %8s %12s %10s %10s %10s %10s\n", "layout", "blocks", "tokens", "pairs", "encode s",
              "total s", "tok/s", "KV MB");
  for (const auto& run : r.runs)
    std::printf("%-13s %7d %8lld %12lld %10.3f %10.3f %10.1f %10.2f\n", run.layout.c_str(), run.blocks,
                static_cast<long long>(run.tokens), static_cast<long long>(run.visible_pairs), run.encode_s,
                run.total_s, run.encode_s > 0 ? static_cast<double>(run.tokens) / run.encode_s : 0.0,
                static_cast<double>(run.kv_bytes) / 1048576.0);
  for (const auto& g : r.growth)
    std::printf("growth %-13s %d -> %d blocks: time x%.3f (tokens x%.3f)%s\n", g.layout.c_str(),
                g.from_blocks, g.to_blocks, g.time_ratio, g.tokens_ratio,
                g.layout == "block-sparse" && g.to_blocks == 2 * g.from_blocks ? "  (target <= 2.1)" : "");
  std::printf("peak RSS %.1f MB\n", static_cast<double>(r.peak_rss_bytes) / 1048576.0);
}

void run_bench_encode(const BenchEncodeArgs& a) {
  BenchSetup s = load_bench_setup(a.model, a.dataset, a.data_dir, a.weights, a.seed);
  EncodeBenchConfig c;
  c.block_counts = parse_counts(a.blocks);
  c.block_demos = a.block_demos;
  c.sink_blocks = parse_block_count(a.sink, "--sink");
  c.prev_blocks = parse_block_count(a.prev, "--prev");
  c.dense = a.dense;
  c.grouping = a.grouping;
  c.seed = a.seed;
  c.chunk_tokens = a.chunk;
  c.repeats = a.repeats;
  c.scratch_root = a.scratch_dir;
  c.on_event = [](std::string_view layout, int32_t blocks) {
    std::fprintf(stderr, "bench encode: %.*s, %d blocks...\n", static_cast<int>(layout.size()), layout.data(),
                 blocks);
  };
  const EncodeBenchReport r = run_encode_bench(*s.model, *s.tok, s.manifest, s.dataset.train, c);
  if (!a.json) return print_text(r, a, s.load_s);
  const nlohmann::json extra = {{"model", a.model},
                                {"dataset", a.dataset},
                                {"block_demos", a.block_demos},
                                {"sink", a.sink},
                                {"prev", a.prev},
                                {"grouping", a.grouping},
                                {"seed", a.seed},
                                {"threads", a.weights.threads},
                                {"backend", a.weights.backend},
                                {"chunk_tokens", a.chunk},
                                {"repeats", a.repeats},
                                {"model_load_s", s.load_s}};
  std::cout << encode_bench_json(r, extra.dump()) << "\n";
}

}  // namespace

void register_bench_encode_command(CLI::App& bench) {
  auto a = std::make_shared<BenchEncodeArgs>();
  auto* c =
      bench.add_subcommand("encode", "Pre-encoding time per pool size (block-sparse, optionally dense)");
  c->add_option("--model,-m", a->model, "GGUF model")->required();
  c->add_option("--dataset", a->dataset, "trec, trec-fine, banking77, clinic150 or nlu");
  c->add_option("--data-dir", a->data_dir, "Folder laid out like shared/data")->required();
  c->add_option("--blocks", a->blocks, "Comma-separated pool sizes in blocks (default 8,16,32)");
  c->add_option("--block-demos", a->block_demos, "Demonstrations per block (paper: 50)")
      ->check(CLI::PositiveNumber);
  c->add_option("--sink", a->sink, "Sink blocks S, or 'all' (paper: 1)");
  c->add_option("--prev", a->prev, "Previous blocks P, or 'all' (paper: 2)");
  c->add_flag("--dense", a->dense, "Also encode every pool densely (S = P = all), as full-icl stores it");
  c->add_option("--grouping", a->grouping, "in-order, balanced, bm25-cluster (optionally -swap)");
  c->add_option("--seed", a->seed, "Pool draw and grouping seed");
  c->add_option("--chunk", a->chunk, "Tokens per forward chunk")->check(CLI::PositiveNumber);
  c->add_option("--repeats", a->repeats,
                "Encodes per pool size, round-robin over the sizes; times are their medians")
      ->check(CLI::PositiveNumber);
  add_weight_options(c, a->weights);
  c->add_option("--scratch-dir", a->scratch_dir,
                "Where the throwaway caches go (removed afterwards; default: the temp folder)");
  c->add_flag("--json", a->json, "Print one JSON object instead of a table");
  c->callback([a] { run_bench_encode(*a); });
}

}  // namespace dbsa::cli
