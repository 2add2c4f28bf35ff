// `dbsa bench dbsa`: in one run, DBSA against its baselines on the same pool and test queries — setup
// (pre-encoding, or a cache hit), per-query latency, KV bytes, peak RSS and the ratios docs/BENCHMARKS.md
// sets targets for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cmd_bench_method.h"
#include "icl/dataset_loaders.h"
#include "icl/pool.h"
#include "method/method_bench.h"
#include "method/model_identity.h"
#include "model/gguf_file.h"
#include "util/name_list.h"

namespace dbsa::cli {
namespace {

struct BenchDbsaArgs {
  PoolBenchArgs pool;
  std::string cache_dir, select = "6", methods = "dbsa,cached-icl,retrieval-icl,zero-shot";
  int64_t blocks = 16;
  int queries = 10;
  int warmup = 1;
  bool json = false;
};

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  if (out.empty()) throw std::runtime_error("bench dbsa: --methods is empty");
  return out;
}

double mb(uint64_t bytes) {
  return static_cast<double>(bytes) / 1048576.0;
}

void print_text(const MethodBenchReport& r, const BenchDbsaArgs& a, double load_s) {
  std::printf(
      "bench dbsa: %s, %s, %lld blocks x %d demos, select %s, S=%s P=%s, %d queries (model load %.2f s)\n",
      a.pool.model.c_str(), a.pool.dataset.c_str(), static_cast<long long>(a.blocks), a.pool.block_demos,
      a.select.c_str(), a.pool.sink.c_str(), a.pool.prev.c_str(), r.n_queries, load_s);
  std::printf("%-14s %10s %6s %11s %10s %10s %10s %9s %8s %10s\n", "method", "setup s", "hit", "KV MB",
              "mean ms", "p50 ms", "p95 ms", "ctx tok", "correct", "RSS MB");
  for (const auto& m : r.methods)
    std::printf("%-14s %10.3f %6s %11.2f %10.2f %10.2f %10.2f %9.0f %5d/%-2d %10.1f\n", m.method.c_str(),
                m.setup_s, m.setup_cache_hit ? "yes" : "no", mb(m.kv_bytes), 1e3 * m.latency.mean_s,
                1e3 * m.latency.p50_s, 1e3 * m.latency.p95_s, m.mean_context_tokens, m.correct, r.n_queries,
                mb(m.peak_rss_bytes));
  std::printf("peak RSS %.1f MB\n", mb(r.peak_rss_bytes));
  for (const auto& m : r.methods) {
    std::printf("%-14s mean ms: retrieval %.2f, assembly %.2f, forward %.2f, decode %.2f", m.method.c_str(),
                1e3 * m.mean_stages.retrieval_s, 1e3 * m.mean_stages.assembly_s,
                1e3 * m.mean_stages.forward_s, 1e3 * m.mean_stages.decode_s);
    for (size_t i = 0; i < m.warmup_seconds.size(); ++i)
      std::printf("%s%.1f", i ? ", " : "; untimed warm-up ms ", 1e3 * m.warmup_seconds[i]);
    std::printf("\n");
  }
  for (const auto& m : r.methods)
    if (!m.device.seconds.empty())
      std::printf("%-14s device ms (CUDA events around each query): mean %.2f, p50 %.2f, p95 %.2f\n",
                  m.method.c_str(), 1e3 * m.device.mean_s, 1e3 * m.device.p50_s, 1e3 * m.device.p95_s);
  std::printf(
      "ratios (mean per-query latency): dbsa/cached-icl %.3f (target <= 0.5), retrieval-icl/dbsa "
      "%.2f (target >= 50), dbsa/zero-shot %.3f (target <= 2.5)\n",
      r.dbsa_over_cached_icl, r.retrieval_icl_over_dbsa, r.dbsa_over_zero_shot);
  std::printf(
      "ratios (median per-query latency): dbsa/cached-icl %.3f, retrieval-icl/dbsa %.2f, dbsa/zero-shot "
      "%.3f\n",
      r.dbsa_over_cached_icl_p50, r.retrieval_icl_over_dbsa_p50, r.dbsa_over_zero_shot_p50);
}

void run_bench_dbsa(const BenchDbsaArgs& a) {
  BenchSetup s = load_bench_setup(a.pool);
  if (static_cast<size_t>(a.queries) > s.dataset.test.size())
    throw std::runtime_error("bench dbsa: --queries " + std::to_string(a.queries) + " exceeds the " +
                             std::to_string(s.dataset.test.size()) + " test examples of " + a.pool.dataset);
  MethodInputs in;
  in.model = s.model.get();
  in.tok = s.tok.get();
  in.manifest = s.manifest;
  in.demos =
      draw_pool(s.dataset.train, static_cast<size_t>(a.blocks * a.pool.block_demos), a.pool.seed).demos;
  GroupingInput gi;
  gi.demos = &in.demos;
  gi.prompt = s.manifest.prompt;
  gi.block_demos = static_cast<size_t>(a.pool.block_demos);
  gi.seed = a.pool.seed;
  const Tokenizer& tok = *s.tok;
  gi.token_count = [&tok](const std::string& t) {
    EncodeOptions eo;
    eo.add_bos = false;
    return tok.encode(t, eo).size();
  };
  in.blocks = make_grouping(a.pool.grouping)->group(gi);
  in.layout.block_demos = a.pool.block_demos;
  in.layout.grouping = a.pool.grouping;
  in.layout.pattern = {parse_block_count(a.pool.sink, "--sink"), parse_block_count(a.pool.prev, "--prev")};
  // Without --cache-dir the store is a private temporary one: setup always pre-encodes.
  const bool temp_store = a.cache_dir.empty();
  in.cache_root =
      temp_store ? std::filesystem::temp_directory_path() / ("dbsa-bench-dbsa-" + std::to_string(::getpid()))
                 : std::filesystem::path(a.cache_dir);
  in.query.n_select = parse_block_count(a.select, "--select", 1);
  const std::vector<Example> queries(s.dataset.test.begin(), s.dataset.test.begin() + a.queries);

  MethodBenchConfig cfg;
  cfg.methods = split_names(a.methods);
  // Warm-up queries follow the timed ones in the test split (as many as it still has).
  const auto n_warm = std::min(static_cast<size_t>(a.warmup), s.dataset.test.size() - queries.size());
  cfg.warmup.assign(s.dataset.test.begin() + a.queries,
                    s.dataset.test.begin() + a.queries + static_cast<std::ptrdiff_t>(n_warm));
  cfg.on_event = [](std::string_view m, std::string_view stage) {
    if (stage == "setup")
      std::fprintf(stderr, "bench dbsa: %.*s setup...\n", static_cast<int>(m.size()), m.data());
  };
  MethodBenchReport r;
  try {
    r = run_method_bench(in, queries, cfg);
  } catch (...) {
    if (temp_store) std::filesystem::remove_all(in.cache_root);
    throw;
  }
  if (temp_store) std::filesystem::remove_all(in.cache_root);
  if (!a.json) return print_text(r, a, s.load_s);
  nlohmann::json extra = pool_bench_fields(a.pool, s.load_s);
  extra["blocks"] = a.blocks;
  extra["pool_demos"] = in.demos.size();
  extra["select"] = a.select;
  std::cout << method_bench_json(r, extra.dump()) << "\n";
}

}  // namespace

void add_pool_bench_options(CLI::App* c, PoolBenchArgs& p) {
  add_model_option(c, p.model)->required();
  c->add_option("--dataset", p.dataset, paper_dataset_list());
  c->add_option("--data-dir", p.data_dir, "Folder laid out like shared/data")->required();
  add_count_option(c, "--block-demos", p.block_demos, 1, "Demonstrations per block (paper: 50)");
  c->add_option("--sink", p.sink, "Sink blocks S, or 'all' (paper: 1)");
  c->add_option("--prev", p.prev, "Previous blocks P, or 'all' (paper: 2)");
  c->add_option("--grouping", p.grouping, name_list(grouping_names()));
  c->add_option("--seed", p.seed, "Pool draw and grouping seed");
  add_weight_options(c, p.weights);
}

nlohmann::json pool_bench_fields(const PoolBenchArgs& p, double load_s) {
  return {{"model", p.model},
          {"dataset", p.dataset},
          {"block_demos", p.block_demos},
          {"sink", p.sink},
          {"prev", p.prev},
          {"grouping", p.grouping},
          {"seed", p.seed},
          {"threads", p.weights.threads},
          {"backend", p.weights.backend},
          {"weights", weight_precision_name(p.weights.precision.value())},
          {"kv_cache", p.weights.kv_cache},
          {"model_load_s", load_s}};
}

BenchSetup load_bench_setup(const PoolBenchArgs& p) {
  const auto t0 = std::chrono::steady_clock::now();
  BenchSetup s;
  std::shared_ptr<const GgufFile> file = GgufFile::open(p.model);
  s.tok = Tokenizer::from_gguf(*file);
  s.model = load_llama(file, p.weights);
  s.dataset = load_paper_dataset(p.dataset, p.data_dir);
  s.manifest = model_manifest(p.model, {}, s.model->weights(), *s.tok);
  s.manifest.dataset = p.dataset;
  s.manifest.prompt = s.dataset.prompt;
  s.manifest.labels = s.dataset.labels;
  s.manifest.seed = p.seed;
  s.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void register_bench_dbsa_command(CLI::App& bench) {
  auto a = std::make_shared<BenchDbsaArgs>();
  auto* c = bench.add_subcommand(
      "dbsa", "DBSA vs cached-icl / retrieval-icl / zero-shot: setup, per-query latency, KV bytes, peak RSS");
  add_pool_bench_options(c, a->pool);
  add_count_option(c, "--blocks", a->blocks, 1, "Blocks in the pool (pool = blocks x block-demos)");
  c->add_option("--select", a->select, "Blocks a dbsa query attends, sink included, or 'all' (paper: 6)");
  c->add_option("--warmup", a->warmup,
                "Untimed queries per method after its setup (the test queries after the timed ones)")
      ->check(CLI::NonNegativeNumber);
  add_count_option(c, "--queries", a->queries, 1,
                   "Test queries timed per method (the first N of the test split)");
  c->add_option("--methods", a->methods, "Comma-separated methods, run in this order");
  c->add_option("--cache-dir", a->cache_dir,
                "KV block store to use (a second run is a cache hit); default: a temporary one");
  c->add_flag("--json", a->json, "Print one JSON object instead of a table");
  c->callback([a] { run_bench_dbsa(*a); });
}

}  // namespace dbsa::cli
