// `dbsa eval` and `dbsa sweep`: the paper's experiments from one command. Every input is
// loaded and checked first; only then are the results database and the KV store touched. A progress bar
// with ETA goes to stderr; Ctrl-C or SIGTERM marks the current run interrupted, keeps the finished ones,
// exits 130 or 143 (cli/interrupt.h).
#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "eval/eval_run.h"
#include "eval/paper_presets.h"
#include "eval/sweep.h"
#include "icl/grouping.h"
#include "icl/template.h"
#include "method/method.h"
#include "method/query.h"
#include "util/name_list.h"

namespace dbsa::cli {
namespace {

struct EvalArgs {
  EvalConfig c;
  std::string methods = name_list(method_names(), ",");
  std::string sink = "1", prev = "2", select_text, shard, model, data_dir, db, cache_dir, test_indices;
  std::vector<std::string> vary;
  WeightArgs weights;
  bool json = false, quiet = false;
  // Options a preset fills unless given explicitly.
  CLI::Option *blocks = nullptr, *select = nullptr, *block_demos = nullptr, *sink_opt = nullptr,
              *prev_opt = nullptr, *grouping = nullptr, *order = nullptr;
};

void add_eval_options(CLI::App* c, EvalArgs& a) {
  add_model_option(c, a.model);
  c->add_option("--dataset", a.c.dataset, paper_dataset_list());
  c->add_option("--data-dir", a.data_dir, "Folder laid out like shared/data");
  c->add_option("--methods", a.methods, "Comma-separated: " + name_list(method_names()));
  a.blocks = c->add_option("--blocks", a.c.blocks, "Blocks in the pool (pool = blocks x block-demos)");
  a.block_demos = c->add_option("--block-demos", a.c.block_demos, "Demonstrations per block (paper: 50)");
  a.select = c->add_option("--select", a.select_text, "Blocks per query, the sink included, or 'all'");
  a.sink_opt = c->add_option("--sink", a.sink, "Sink blocks S, or 'all' (paper: 1)");
  a.prev_opt = c->add_option("--prev", a.prev, "Previous blocks P, or 'all' (paper: 2)");
  a.grouping = c->add_option("--grouping", a.c.grouping, name_list(grouping_names()));
  a.order = c->add_option("--order", a.c.order, "Selected block order: " + name_list(block_order_names()));
  c->add_option("--runs", a.c.runs, "Runs, each with its own pool seed (seed + run)");
  c->add_option("--test", a.c.test, "First T queries of the test subset (0 = all)");
  c->add_option("--test-indices", a.test_indices, "Python list of indices into the test split instead");
  c->add_option("--seed", a.c.seed, "Base seed of the pool draws");
  c->add_option("--db", a.db, "Results database (SQLite), created when missing");
  c->add_option("--cache-dir", a.cache_dir, "KV block store (default: next to --db, *.kvcache)");
  add_weight_options(c, a.weights);
  add_lock_timeout_option(c, a.c.lock_timeout);
  c->add_option("--chunk", a.c.chunk_tokens, "Tokens per forward chunk while pre-encoding");
  c->add_option("--shard", a.shard, "Run only shard i of n of the work units (0-based i/n)");
  c->add_option("--preset", a.c.preset, "paper-30k, paper-60k or paper-90k: blocks/select/S/P per dataset");
  c->add_flag("--json", a.json, "Print the outcome as JSON");
  c->add_flag("--quiet,-q", a.quiet, "No progress bar");
}

EvalConfig resolve(EvalArgs& a) {
  EvalConfig c = a.c;
  c.model = a.model;
  c.data_dir = a.data_dir;
  c.db = a.db;
  c.cache_dir = a.cache_dir;
  c.test_indices = a.test_indices;
  c.threads = a.weights.threads;
  c.weights = a.weights.precision.value();
  c.kv_cache = parse_kv_type(a.weights.kv_cache);
  c.backend = a.weights.backend;
  c.max_context = a.weights.max_context;
  c.methods = parse_method_list(a.methods);
  c.pattern = {parse_block_count(a.sink, "--sink"), parse_block_count(a.prev, "--prev")};
  if (!a.select_text.empty()) c.select = parse_block_count(a.select_text, "--select", 1);
  if (!a.shard.empty()) c.shard = parse_shard(a.shard);
  if (!c.preset.empty()) {
    const PaperPreset p = paper_preset(c.preset, c.dataset);
    if (a.blocks->count() == 0) c.blocks = p.blocks;
    if (a.select->count() == 0) c.select = p.select;
    if (a.block_demos->count() == 0) c.block_demos = p.block_demos;
    if (a.sink_opt->count() == 0) c.pattern.sink = p.pattern.sink;
    if (a.prev_opt->count() == 0) c.pattern.prev = p.pattern.prev;
    if (a.grouping->count() == 0) c.grouping = p.grouping;
    if (a.order->count() == 0) c.order = p.order;
  }
  return c;
}

std::string clock_text(double s) {
  if (s < 0) return "--:--";
  const auto t = static_cast<long>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

std::function<void(const EvalProgress&)> progress_bar(bool quiet, size_t n_points) {
  if (quiet) return {};
  auto bar = std::make_shared<ProgressBar>(false, 30);
  return [bar, n_points](const EvalProgress& p) {
    if (!bar->due(p.fraction)) return;
    const std::string where =
        (n_points > 1 ? "point " + std::to_string(p.point) + " " : std::string()) + "run " +
        std::to_string(p.run) + " " + p.method +
        (p.in_setup ? " setup" : " " + std::to_string(p.queries_done) + "/" + std::to_string(p.n_queries));
    // The bar does not end its line: the run's summary is printed after it.
    bar->draw(p.fraction, {},
              " unit " + std::to_string(p.unit + 1) + "/" + std::to_string(p.n_units) + " " + where +
                  ", elapsed " + clock_text(p.elapsed_seconds) + ", ETA " + clock_text(p.eta_seconds),
              false);
  };
}

void print_summary(const EvalSummary& s, const std::vector<EvalConfig>& points, bool json) {
  if (json) {
    nlohmann::json j;
    j["db"] = points.front().db.string();
    j["interrupted"] = s.interrupted;
    j["seconds"] = s.seconds;
    j["runs"] = nlohmann::json::array();
    for (const auto& u : s.units)
      j["runs"].push_back({{"point", u.unit.point},
                           {"run", u.unit.run},
                           {"method", u.method},
                           {"uuid", u.run_uuid},
                           {"status", u.status},
                           {"cache_hit", u.cache_hit},
                           {"setup_seconds", u.setup_seconds},
                           {"queries", u.n},
                           {"correct", u.n_correct},
                           {"accuracy", u.accuracy},
                           {"query_mean_seconds", u.query_mean_seconds}});
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& u : s.units) {
    std::printf("%s%-3d %-14s %-11s",
                points.size() > 1 ? ("point " + std::to_string(u.unit.point) + " ").c_str() : "", u.unit.run,
                u.method.c_str(), u.status.c_str());
    if (u.status == "finished")
      std::printf(" accuracy %.4f (%lld/%lld)  setup %.3f s%s  query %.4f s", u.accuracy,
                  static_cast<long long>(u.n_correct), static_cast<long long>(u.n), u.setup_seconds,
                  u.cache_hit ? " (cache hit)" : "", u.query_mean_seconds);
    std::printf("\n");
  }
  std::printf("%zu runs in %.1f s -> %s\n", s.units.size(), s.seconds, points.front().db.string().c_str());
}

void run_points(const std::vector<EvalConfig>& points, const EvalArgs& a) {
  const InterruptGuard interrupt;

  EvalCallbacks cb;
  cb.progress = progress_bar(a.quiet, points.size());
  cb.cancel = interrupt.flag();
  cb.notice = [](const std::string& line) { std::fprintf(stderr, "\r\033[Kdbsa: %s\n", line.c_str()); };
  const EvalSummary s = evaluate_points(points, cb);
  if (!a.quiet) std::fprintf(stderr, "\n");
  print_summary(s, points, a.json);
  if (s.interrupted) {
    std::cerr << "dbsa: " << interrupt.signal_name()
              << ": the current run is marked interrupted, finished runs are kept\n";
    throw CLI::RuntimeError(interrupt.exit_code());
  }
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* c =
      app.add_subcommand("eval", "Evaluate DBSA and its baselines on a dataset into a results database");
  add_eval_options(c, *a);
  c->callback([a] { run_points({resolve(*a)}, *a); });
}

void register_sweep_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* c = app.add_subcommand(
      "sweep", "Evaluate the cartesian product of --vary knobs (an eval per point) into one database");
  add_eval_options(c, *a);
  c->add_option("--vary", a->vary,
                "knob=v1,v2,... (sink, prev, select, grouping, order, block-demos, blocks); repeatable");
  c->callback([a] {
    std::vector<SweepAxis> axes;
    for (const auto& v : a->vary) axes.push_back(parse_vary(v));
    if (axes.empty()) throw std::invalid_argument("sweep: give at least one --vary knob=v1,v2,...");
    run_points(expand_sweep(resolve(*a), axes), *a);
  });
}

}  // namespace dbsa::cli
