// `dbsa encode`: draw a pool (or read one), group it into blocks, pre-encode it block-sparsely into the
// KV block store (or append new blocks to an existing cache). A progress bar goes to stderr; Ctrl-C
// cancels cleanly, leaving no partial cache.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cache/cache_store.h"
#include "cache/fingerprint.h"
#include "cli/cli.h"
#include "cli/cli_options.h"
#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "engine/cpu_backend.h"
#include "engine/llama_model.h"
#include "icl/pool.h"
#include "icl/pool_source.h"
#include "method/cache_builder.h"
#include "method/model_identity.h"
#include "method/pool_encoding.h"
#include "model/gguf_file.h"
#include "text/tokenizer.h"
#include "util/name_list.h"

namespace dbsa::cli {
namespace {

struct EncodeArgs {
  std::string model, dataset, data_dir, pool_file, cache_dir, append, grouping = "in-order", kv_dtype = "f16";
  std::string sink = "1", prev = "2", x_prefix, y_prefix;
  int64_t pool_size = 0, blocks = 0, chunk = 256;
  int32_t block_demos = 50;
  uint64_t seed = 0;
  WeightArgs weights;
  bool bos = false, quiet = false, skip_bad_rows = false;
  double lock_timeout = -1;
};

// The pool's demonstrations, prompt template and labels from the dataset or a pool file.
LoadedPool load_pool(const EncodeArgs& a) {
  PoolSource src;
  src.dataset = a.dataset;
  src.data_dir = a.data_dir;
  src.pool_file = a.pool_file;
  src.pool_size = a.pool_size > 0 ? a.pool_size : a.blocks * a.block_demos;
  src.seed = a.seed;
  src.x_prefix = a.x_prefix;
  src.y_prefix = a.y_prefix;
  src.skip_bad_rows = a.skip_bad_rows;
  LoadedPool pool = load_pool_source(src);
  if (!pool.skipped.empty()) std::cerr << describe_skips(pool.skipped);
  return pool;
}

void print_result(const BuildResult& r, const CacheKey& key, double load_s) {
  std::cout << (r.reused ? "cache exists (reused): " : "cache: ") << r.dir.string() << "\n"
            << "  blocks " << r.n_blocks << ", tokens " << r.n_tokens << ", " << key.pattern.text()
            << ", dtype " << kv_dtype_name(key.dtype) << "\n";
  if (!r.reused) {
    const BlockCache c = BlockCache::open(r.dir, nullptr, VerifyMode::Lazy);
    std::cout << "  encoded " << r.stats.tokens_computed << " tokens in " << r.stats.seconds << " s ("
              << (r.stats.seconds > 0 ? static_cast<double>(r.stats.tokens_computed) / r.stats.seconds : 0.0)
              << " tok/s); model load " << load_s << " s; KV bytes " << c.kv_bytes() << "\n";
  }
}

void run_encode(const EncodeArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const GgufFile> file = GgufFile::open(a.model);
  const auto tok = Tokenizer::from_gguf(*file);
  const auto model_ptr = load_llama(file, a.weights);
  LlamaModel& model = *model_ptr;
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string model_fp = fingerprint_file(a.model);

  const InterruptGuard interrupt;

  PreEncodeOptions o;
  o.chunk_tokens = a.chunk;
  o.progress = interruptible_progress(a.quiet, a.append.empty() ? "encode" : "append", interrupt);
  BuildResult r;
  CacheKey key;
  if (!a.append.empty()) {
    PoolAppend p = append_pool_file(model, *tok, a.append, model_fp, a.pool_file, a.skip_bad_rows, a.seed, o,
                                    announced_lock_wait(a.lock_timeout, "encode"));
    if (!p.skipped.empty()) std::cerr << describe_skips(p.skipped);
    r = std::move(p.build);
    key = p.key;
  } else {
    if (a.cache_dir.empty())
      throw std::runtime_error(
          "encode: give the KV store with --cache-dir (or a cache to grow with --append)");
    const LoadedPool pool = load_pool(a);
    PoolCacheSpec spec;
    spec.model_path = a.model;
    spec.model_fingerprint = model_fp;
    spec.seed = a.seed;
    spec.layout.block_demos = a.block_demos;
    spec.layout.grouping = a.grouping;
    spec.layout.pattern = {parse_block_count(a.sink, "--sink"), parse_block_count(a.prev, "--prev")};
    spec.layout.bos = a.bos;
    spec.layout.dtype = parse_kv_dtype(a.kv_dtype);
    const Blocks blocks =
        group_pool(pool.demos, pool.prompt, *tok, a.grouping, static_cast<size_t>(a.block_demos), a.seed);
    PoolEncoding e =
        encode_pool(model, *tok, CacheStore(a.cache_dir, announced_lock_wait(a.lock_timeout, "encode")), spec,
                    pool, blocks, o);
    r = std::move(e.build);
    key = e.key;
  }
  if (r.cancelled) {
    std::cerr << "\ndbsa: " << interrupt.signal_name() << ": encode cancelled; no cache was written\n";
    throw CLI::RuntimeError(interrupt.exit_code());
  }
  print_result(r, key, load_s);
}

}  // namespace

void register_encode_command(CLI::App& app) {
  auto a = std::make_shared<EncodeArgs>();
  auto* c =
      app.add_subcommand("encode", "Pre-encode a demonstration pool into a KV block cache (block-sparse)");
  add_model_option(c, a->model)->required();
  // Options that shape a new cache; an append takes all of them from the cache it grows.
  std::vector<CLI::Option*> layout_opts;
  layout_opts.push_back(c->add_option("--dataset", a->dataset, paper_dataset_list()));
  layout_opts.push_back(c->add_option("--data-dir", a->data_dir, "Folder laid out like shared/data"));
  auto* ps = c->add_option("--pool-size", a->pool_size, "Demonstrations to draw from the training split");
  auto* nb = c->add_option("--blocks", a->blocks, "Blocks to draw (pool size = blocks x block-demos)");
  ps->excludes(nb);
  nb->excludes(ps);
  layout_opts.push_back(ps);
  layout_opts.push_back(nb);
  layout_opts.push_back(
      add_count_option(c, "--block-demos", a->block_demos, 1, "Demonstrations per block (paper: 50)"));
  layout_opts.push_back(
      c->add_option("--sink", a->sink, "Sink blocks S every block attends to, or 'all' (paper: 1)"));
  layout_opts.push_back(
      c->add_option("--prev", a->prev, "Previous blocks P each block attends to, or 'all' (paper: 2)"));
  layout_opts.push_back(c->add_option("--grouping", a->grouping, name_list(grouping_names())));
  c->add_option("--seed", a->seed, "Pool draw and grouping seed");
  layout_opts.push_back(
      c->add_option("--cache-dir", a->cache_dir, "KV store root the new cache is published in"));
  layout_opts.push_back(c->add_option("--kv-dtype", a->kv_dtype, name_list(kv_dtype_names())));
  layout_opts.push_back(c->add_flag("--bos", a->bos, "Prepend BOS to block 0 (the paper adds none)"));
  auto* pool_file = c->add_option("--pool-file", a->pool_file,
                                  "Prepared pool: one {\"text\":..., \"label\":...} per JSONL line");
  layout_opts.push_back(
      c->add_option("--x-prefix", a->x_prefix, "Template input prefix for a pool file without --dataset"));
  layout_opts.push_back(
      c->add_option("--y-prefix", a->y_prefix, "Template label prefix for a pool file without --dataset"));
  auto* append = c->add_option("--append", a->append,
                               "Cache folder to grow: the --pool-file demonstrations become its new blocks");
  append->needs(pool_file);
  for (auto* o : layout_opts) append->excludes(o);
  add_lock_timeout_option(c, a->lock_timeout);
  c->add_flag("--skip-bad-rows", a->skip_bad_rows, "Skip (and report) unreadable rows instead of failing");
  add_count_option(c, "--chunk", a->chunk, 1, "Tokens per forward chunk (memory vs progress granularity)");
  c->add_flag("--quiet,-q", a->quiet, "No progress bar");
  add_weight_options(c, a->weights);
  c->callback([a] { run_encode(*a); });
}

}  // namespace dbsa::cli
