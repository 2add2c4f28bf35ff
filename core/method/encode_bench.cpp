#include "method/encode_bench.h"

#include "util/bench_stats.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cache/cache_store.h"
#include "icl/grouping.h"
#include "icl/pool.h"
#include "icl/pool_source.h"
#include "icl/template.h"
#include "method/cache_builder.h"
#include "method/method_bench.h"

namespace dbsa {
namespace {

// Removes the bench's private store folder however the bench ends.
struct ScratchDir {
  std::filesystem::path dir;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Blocks group(const std::vector<Example>& demos, const CacheManifest& manifest, const Tokenizer& tok,
             const EncodeBenchConfig& c) {
  return group_pool(demos, manifest.prompt, tok, c.grouping, static_cast<size_t>(c.block_demos), c.seed);
}

EncodeBenchRun encode_once(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                           const CacheManifest& manifest, const std::vector<Example>& demos,
                           const Blocks& blocks, const EncodeBenchConfig& c, bool dense) {
  CacheLayoutSpec spec;
  spec.block_demos = c.block_demos;
  spec.grouping = c.grouping;
  spec.pattern = dense ? BlockLayout::dense() : c.pattern;
  PreEncodeOptions o;
  o.chunk_tokens = c.chunk_tokens;
  const CacheKey key = block_cache_key(manifest, demos, spec);
  const auto t0 = std::chrono::steady_clock::now();
  const BuildResult r = build_block_cache(model, tok, store, key, manifest, demos, blocks, o, false);
  EncodeBenchRun run;
  run.total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.layout = dense ? "dense" : "block-sparse";
  run.blocks = r.n_blocks;
  run.demos = static_cast<int64_t>(demos.size());
  run.tokens = r.n_tokens;
  run.visible_pairs = r.stats.visible_pairs;
  const double total_flop = model.flops(r.n_tokens, r.stats.visible_pairs, LogitsMode::None);
  run.gflop = total_flop * 1e-9;
  run.attention_gflop = (total_flop - model.flops(r.n_tokens, 0, LogitsMode::None)) * 1e-9;
  run.encode_s = r.stats.seconds;
  run.kv_bytes = BlockCache::open(r.dir, &key, VerifyMode::Lazy).kv_bytes();
  store.remove(key);  // only the timing is wanted; large pools would otherwise fill the disk
  return run;
}

// Demonstrations per pool for sizes in tokens: the shortest prefix of the seeded draw (draws of any size
// are prefixes of one another) whose formatted demonstrations hold at least N tokens, counted as the
// grouping counts them.
std::vector<size_t> demos_for_tokens(const std::vector<Example>& train, const CacheManifest& manifest,
                                     const Tokenizer& tok, const EncodeBenchConfig& c) {
  const int64_t largest = *std::max_element(c.token_counts.begin(), c.token_counts.end());
  const Pool all = draw_pool(train, train.size(), c.seed);
  EncodeOptions eo;
  eo.add_bos = false;
  std::vector<int64_t> prefix_tokens{0};
  for (const auto& d : all.demos) {
    if (prefix_tokens.back() >= largest) break;
    prefix_tokens.push_back(
        prefix_tokens.back() +
        static_cast<int64_t>(tok.encode(format_demo(manifest.prompt, d.text, d.label), eo).size()));
  }
  std::vector<size_t> out;
  for (const int64_t n : c.token_counts) {
    const auto it = std::lower_bound(prefix_tokens.begin(), prefix_tokens.end(), n);
    if (it == prefix_tokens.end())
      throw std::invalid_argument("bench encode: a pool of " + std::to_string(n) +
                                  " tokens exceeds the training split (" + std::to_string(train.size()) +
                                  " examples, " + std::to_string(prefix_tokens.back()) + " tokens)");
    out.push_back(static_cast<size_t>(it - prefix_tokens.begin()));
  }
  return out;
}

// Demonstrations per pool, in the order of the requested sizes.
std::vector<size_t> pool_demos(const std::vector<Example>& train, const CacheManifest& manifest,
                               const Tokenizer& tok, const EncodeBenchConfig& c) {
  if (c.block_counts.empty() == c.token_counts.empty())
    throw std::invalid_argument(c.block_counts.empty()
                                    ? "bench encode: no pool sizes given (--blocks or --tokens)"
                                    : "bench encode: pool sizes in blocks or in tokens, not both");
  if (c.block_demos < 1) throw std::invalid_argument("bench encode: --block-demos must be >= 1");
  for (const int64_t n : c.token_counts)
    if (n < 1)
      throw std::invalid_argument("bench encode: token counts must be >= 1, got " + std::to_string(n));
  if (!c.token_counts.empty()) return demos_for_tokens(train, manifest, tok, c);
  std::vector<size_t> out;
  for (const int32_t b : c.block_counts) {
    if (b < 1)
      throw std::invalid_argument("bench encode: block counts must be >= 1, got " + std::to_string(b));
    if (static_cast<size_t>(b) * static_cast<size_t>(c.block_demos) > train.size())
      throw std::invalid_argument("bench encode: " + std::to_string(b) + " blocks x " +
                                  std::to_string(c.block_demos) + " demos exceed the training split (" +
                                  std::to_string(train.size()) + " examples)");
    out.push_back(static_cast<size_t>(b) * static_cast<size_t>(c.block_demos));
  }
  return out;
}

}  // namespace

EncodeBenchReport run_encode_bench(LlamaModel& model, const Tokenizer& tok, const CacheManifest& manifest,
                                   const std::vector<Example>& train, const EncodeBenchConfig& c) {
  if (c.repeats < 1) throw std::invalid_argument("bench encode: --repeats must be >= 1");
  const std::vector<size_t> n_demos = pool_demos(train, manifest, tok, c);
  ScratchDir scratch{(c.scratch_root.empty() ? std::filesystem::temp_directory_path() : c.scratch_root) /
                     ("dbsa-bench-encode-" + std::to_string(::getpid()))};
  std::filesystem::remove_all(scratch.dir);
  const CacheStore store(scratch.dir);

  EncodeBenchReport report;
  std::vector<bool> layouts = {false};
  if (c.dense) layouts.push_back(true);
  for (const bool dense : layouts) {
    const size_t first = report.runs.size();
    std::vector<std::pair<std::vector<Example>, Blocks>> pools;
    for (const size_t n : n_demos) {
      auto demos = draw_pool(train, n, c.seed).demos;
      Blocks blocks = group(demos, manifest, tok, c);
      pools.emplace_back(std::move(demos), std::move(blocks));
    }
    report.runs.resize(first + pools.size());
    for (int32_t rep = 0; rep < c.repeats; ++rep)
      for (size_t i = 0; i < pools.size(); ++i) {
        if (c.on_event)
          c.on_event(dense ? "dense" : "block-sparse", static_cast<int32_t>(pools[i].second.size()));
        const EncodeBenchRun one =
            encode_once(model, tok, store, manifest, pools[i].first, pools[i].second, c, dense);
        EncodeBenchRun& run = report.runs[first + i];
        if (rep == 0) {  // tokens, pairs and KV bytes are the same every repeat
          run = one;
          if (!c.token_counts.empty()) run.requested_tokens = c.token_counts[i];
        }
        run.encode_samples.push_back(one.encode_s);
        run.total_samples.push_back(one.total_s);
      }
    for (size_t i = first; i < report.runs.size(); ++i) {
      EncodeBenchRun& run = report.runs[i];
      run.encode_s = summarize_latency(run.encode_samples).p50_s;
      run.total_s = summarize_latency(run.total_samples).p50_s;
    }
    for (size_t i = first + 1; i < report.runs.size(); ++i) {
      const auto& a = report.runs[i - 1];
      const auto& z = report.runs[i];
      const bool doubled =
          c.token_counts.empty() ? z.blocks == 2 * a.blocks : z.requested_tokens == 2 * a.requested_tokens;
      report.growth.push_back(
          {z.layout, a.blocks, z.blocks, doubled, a.encode_s > 0 ? z.encode_s / a.encode_s : 0.0,
           a.tokens > 0 ? static_cast<double>(z.tokens) / static_cast<double>(a.tokens) : 0.0,
           a.gflop > 0 ? z.gflop / a.gflop : 0.0});
    }
  }
  report.peak_rss_bytes = peak_rss_bytes();
  return report;
}

std::string encode_bench_json(const EncodeBenchReport& report, const std::string& extra) {
  nlohmann::json j = extra.empty() ? nlohmann::json::object() : nlohmann::json::parse(extra);
  if (!j.is_object()) throw std::invalid_argument("bench encode: extra fields must be a JSON object");
  j["bench"] = "encode";
  j["statistic"] = "median of the repeats";
  auto& runs = j["runs"] = nlohmann::json::array();
  for (const auto& r : report.runs)
    runs.push_back({{"layout", r.layout},
                    {"blocks", r.blocks},
                    {"demos", r.demos},
                    {"requested_tokens", r.requested_tokens},
                    {"tokens", r.tokens},
                    {"visible_pairs", r.visible_pairs},
                    {"gflop", r.gflop},
                    {"attention_gflop", r.attention_gflop},
                    {"gflop_per_s", r.encode_s > 0 ? r.gflop / r.encode_s : 0.0},
                    {"encode_s", r.encode_s},
                    {"total_s", r.total_s},
                    {"encode_s_repeats", r.encode_samples},
                    {"tokens_per_s", r.encode_s > 0 ? static_cast<double>(r.tokens) / r.encode_s : 0.0},
                    {"kv_bytes", r.kv_bytes}});
  auto& growth = j["growth"] = nlohmann::json::array();
  for (const auto& g : report.growth)
    growth.push_back({{"layout", g.layout},
                      {"from_blocks", g.from_blocks},
                      {"to_blocks", g.to_blocks},
                      {"doubled", g.doubled},
                      {"time_ratio", g.time_ratio},
                      {"tokens_ratio", g.tokens_ratio},
                      {"work_ratio", g.work_ratio}});
  j["target_block_sparse_time_ratio_for_2x_max"] = 2.1;
  j["peak_rss_bytes"] = report.peak_rss_bytes;
  return j.dump(2);
}

}  // namespace dbsa
