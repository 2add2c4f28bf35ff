#pragma once
// `dbsa bench encode` (docs/METHOD.md "Benchmarks"): how pre-encoding time grows with the pool. For each
// pool size (blocks x block_demos demonstrations drawn from the training split) the pool is grouped and
// pre-encoded into a throwaway KV block store, block-sparsely (sink S, previous P) and, for comparison,
// densely (S = P = all, what full-icl stores). Block-sparse cost is linear in the pool, so time(2B) /
// time(B) should stay near 2 (target <= 2.1); dense attention makes it grow towards 4.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_manifest.h"
#include "engine/block_layout.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "text/tokenizer.h"

namespace dbsa {

struct EncodeBenchConfig {
  std::vector<int32_t> block_counts;  // pool sizes in blocks, measured in this order
  // Or pool sizes in tokens (N, 2N, 4N, as docs/METHOD.md "Benchmarks" sizes them): each pool is the shortest
  // prefix of the seeded draw whose formatted demonstrations hold at least that many tokens. Exactly one of
  // the two is given.
  std::vector<int64_t> token_counts;
  int32_t block_demos = 50;
  BlockLayout pattern;  // S and P of the block-sparse encodes
  bool dense = true;    // also encode every pool with S = P = all
  std::string grouping = "in-order";
  uint64_t seed = 0;
  int64_t chunk_tokens = 256;
  // Encodes of every pool (>= 1). They go round-robin over the pool sizes, so a slow spell of a shared
  // machine lands on all sizes alike, and each size reports the median.
  int32_t repeats = 1;
  // A private folder is made under it for the throwaway caches and removed afterwards.
  std::filesystem::path scratch_root;
  std::function<void(std::string_view layout, int32_t blocks)> on_event;  // before each encode
};

struct EncodeBenchRun {
  std::string layout;  // "block-sparse" or "dense"
  int32_t blocks = 0;
  int64_t demos = 0;
  int64_t requested_tokens = 0;  // the size asked for with token_counts (0: sizes in blocks)
  int64_t tokens = 0;            // tokens encoded (block texts)
  int64_t visible_pairs = 0;     // attention work
  // Arithmetic of the pass (LlamaModel::flops, no output head): all of it, and the attention's part.
  double gflop = 0.0, attention_gflop = 0.0;
  double encode_s = 0.0;  // the pre-encoding pass (model forward + handing blocks to the writer)
  double total_s = 0.0;   // wall clock of the whole build: tokenizing, encoding, commit, BM25 index
  std::vector<double> encode_samples, total_samples;  // every repeat; encode_s/total_s are their medians
  uint64_t kv_bytes = 0;                              // stored K/V of the cache
};

struct EncodeGrowth {
  std::string layout;
  int32_t from_blocks = 0, to_blocks = 0;
  bool doubled = false;       // the requested size (blocks or tokens) doubled: the ratio the target is for
  double time_ratio = 0.0;    // encode_s(to) / encode_s(from) (medians of the repeats)
  double tokens_ratio = 0.0;  // tokens(to) / tokens(from): pools are drawn separately, so not exactly 2
  // gflop(to) / gflop(from): the time ratio of an encode running at one FLOP rate throughout. With S, P
  // finite the first blocks see fewer predecessors, so it exceeds the tokens ratio for small pools.
  double work_ratio = 0.0;
};

struct EncodeBenchReport {
  std::vector<EncodeBenchRun> runs;  // per layout, in block_counts order
  std::vector<EncodeGrowth> growth;  // consecutive block counts, per layout
  uint64_t peak_rss_bytes = 0;
};

// Throws std::invalid_argument for no sizes or both kinds, a non-positive size or a training split
// smaller than the largest pool.
EncodeBenchReport run_encode_bench(LlamaModel& model, const Tokenizer& tok, const CacheManifest& manifest,
                                   const std::vector<Example>& train, const EncodeBenchConfig& config);

std::string encode_bench_json(const EncodeBenchReport& report, const std::string& extra = {});

}  // namespace dbsa
