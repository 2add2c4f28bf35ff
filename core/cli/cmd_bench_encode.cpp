// `dbsa bench encode`: pre-encoding time per pool size, block-sparse vs dense, and the growth ratio
// time(2B) / time(B) (docs/BENCHMARKS.md: target <= 2.1 for block-sparse).
#include <cstdio>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cmd_bench_method.h"
#include "method/encode_bench.h"

namespace dbsa::cli {
namespace {

struct BenchEncodeArgs {
  PoolBenchArgs pool;
  std::string blocks = "8,16,32", tokens, scratch_dir;
  int64_t chunk = 256;
  // One encode of a pool moves by ~5% on a shared machine, as much as the growth being measured: the
  // default takes the median of three.
  int repeats = 3;
  bool dense = false, json = false;
};

std::vector<int32_t> parse_counts(const std::string& s) {
  std::vector<int32_t> out;
  for (const int64_t n : parse_positive_list(s, "--blocks")) {
    if (n > std::numeric_limits<int32_t>::max())
      throw std::runtime_error("bench encode: --blocks " + std::to_string(n) + " is too large");
    out.push_back(static_cast<int32_t>(n));
  }
  return out;
}

void print_text(const EncodeBenchReport& r, const BenchEncodeArgs& a, double load_s) {
  std::printf("bench encode: %s, %s, %d demos per block, S=%s P=%s, median of %d (model load %.2f s)\n",
              a.pool.model.c_str(), a.pool.dataset.c_str(), a.pool.block_demos, a.pool.sink.c_str(),
              a.pool.prev.c_str(), a.repeats, load_s);
  if (!a.tokens.empty())
    std::printf("pools: the shortest seeded draws holding %s demonstration tokens\n", a.tokens.c_str());
  std::printf("%-13s %7s %8s %12s %9s %7s %10s %10s %10s %9s %10s\n", "layout", "blocks", "tokens", "pairs",
              "GFLOP", "attn %", "encode s", "total s", "tok/s", "GFLOP/s", "KV MB");
  for (const auto& run : r.runs)
    std::printf("%-13s %7d %8lld %12lld %9.1f %7.1f %10.3f %10.3f %10.1f %9.1f %10.2f\n", run.layout.c_str(),
                run.blocks, static_cast<long long>(run.tokens), static_cast<long long>(run.visible_pairs),
                run.gflop, run.gflop > 0 ? 100.0 * run.attention_gflop / run.gflop : 0.0, run.encode_s,
                run.total_s, run.encode_s > 0 ? static_cast<double>(run.tokens) / run.encode_s : 0.0,
                run.encode_s > 0 ? run.gflop / run.encode_s : 0.0,
                static_cast<double>(run.kv_bytes) / 1048576.0);
  for (const auto& g : r.growth)
    std::printf("growth %-13s %d -> %d blocks: time x%.3f (tokens x%.3f, work x%.3f)%s\n", g.layout.c_str(),
                g.from_blocks, g.to_blocks, g.time_ratio, g.tokens_ratio, g.work_ratio,
                g.layout == "block-sparse" && g.doubled ? "  (target <= 2.1)" : "");
  std::printf("peak RSS %.1f MB\n", static_cast<double>(r.peak_rss_bytes) / 1048576.0);
}

void run_bench_encode(const BenchEncodeArgs& a) {
  BenchSetup s = load_bench_setup(a.pool);
  EncodeBenchConfig c;
  if (a.tokens.empty())
    c.block_counts = parse_counts(a.blocks);
  else
    c.token_counts = parse_positive_list(a.tokens, "--tokens");
  c.block_demos = a.pool.block_demos;
  c.pattern = {parse_block_count(a.pool.sink, "--sink"), parse_block_count(a.pool.prev, "--prev")};
  c.dense = a.dense;
  c.grouping = a.pool.grouping;
  c.seed = a.pool.seed;
  c.chunk_tokens = a.chunk;
  c.repeats = a.repeats;
  c.scratch_root = a.scratch_dir;
  c.on_event = [](std::string_view layout, int32_t blocks) {
    std::fprintf(stderr, "bench encode: %.*s, %d blocks...\n", static_cast<int>(layout.size()), layout.data(),
                 blocks);
  };
  const EncodeBenchReport r = run_encode_bench(*s.model, *s.tok, s.manifest, s.dataset.train, c);
  if (!a.json) return print_text(r, a, s.load_s);
  nlohmann::json extra = pool_bench_fields(a.pool, s.load_s);
  extra["chunk_tokens"] = a.chunk;
  extra["repeats"] = a.repeats;
  std::cout << encode_bench_json(r, extra.dump()) << "\n";
}

}  // namespace

void register_bench_encode_command(CLI::App& bench) {
  auto a = std::make_shared<BenchEncodeArgs>();
  auto* c =
      bench.add_subcommand("encode", "Pre-encoding time per pool size (block-sparse, optionally dense)");
  add_pool_bench_options(c, a->pool);
  auto* blocks =
      c->add_option("--blocks", a->blocks, "Comma-separated pool sizes in blocks (default 8,16,32)");
  c->add_option("--tokens", a->tokens,
                "Comma-separated pool sizes in tokens instead (N,2N,4N): each pool is the shortest prefix of "
                "the seeded draw whose demonstrations hold that many tokens")
      ->excludes(blocks);
  c->add_flag("--dense", a->dense, "Also encode every pool densely (S = P = all), as full-icl stores it");
  add_count_option(c, "--chunk", a->chunk, 1, "Tokens per forward chunk");
  add_count_option(c, "--repeats", a->repeats, 1,
                   "Encodes per pool size, round-robin over the sizes; times are their medians (default 3)");
  c->add_option("--scratch-dir", a->scratch_dir,
                "Where the throwaway caches go (removed afterwards; default: the temp folder)");
  c->add_flag("--json", a->json, "Print one JSON object instead of a table");
  c->callback([a] { run_bench_encode(*a); });
}

}  // namespace dbsa::cli
