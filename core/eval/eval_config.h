#pragma once
// What one `dbsa eval` measures (docs/METHOD.md "Metrics"): the model, dataset and test subset,
// the methods, the pool layout (blocks × block_demos, grouping, S, P), the per-query selection, how many
// runs (pool seeds), where results and caches go, and which shard of the work this process does.
// validate_config() checks everything that needs no file, so a bad command fails before any write.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block_layout.h"
#include "engine/kv_cache.h"
#include "engine/model_weights.h"

namespace dbsa {

// Which of the n shards this process runs (0-based: `--shard $SLURM_ARRAY_TASK_ID/n`).
struct ShardSpec {
  int32_t index = 0;
  int32_t count = 1;
  bool sharded() const { return count > 1; }
  std::string text() const;  // "i/n", empty when count == 1
};
// "i/n" with 0 <= i < n; throws std::invalid_argument naming the expected form.
ShardSpec parse_shard(std::string_view text);

struct EvalConfig {
  std::filesystem::path model;
  std::string dataset;  // trec, trec-fine, banking77, clinic150, nlu
  std::filesystem::path data_dir;
  std::vector<std::string> methods = {"dbsa", "full-icl", "cached-icl", "retrieval-icl", "zero-shot"};
  int32_t blocks = 0;
  int32_t block_demos = 50;
  int32_t select = 0;   // blocks per query, the sink included, or kAllBlocks
  BlockLayout pattern;  // S and P of dbsa's pre-encoding
  std::string grouping = "in-order";
  std::string order = "in-order";
  int32_t runs = 1;
  int32_t test = 0;                    // first T test examples; 0 = all of the subset
  std::filesystem::path test_indices;  // indices into the dataset's test split instead of the subset
  uint64_t seed = 0;                   // run r draws its pool with seed + r
  std::string preset;                  // informational once applied (kept in the run parameters)
  std::filesystem::path db;
  std::filesystem::path cache_dir;  // empty: default_cache_dir(db)
  double lock_timeout = -1;         // seconds to wait for a cache another process builds; < 0: no limit
  int threads = 0;                  // 0 = every core
  WeightPrecision weights = WeightPrecision::Native;  // --weights-f16/-f32
  KvType kv_cache = KvType::F32;                      // --kv-cache
  std::string backend = "cpu";                        // engine/backend_registry.h name
  int64_t max_context = 0;                            // --max-context; 0: the model's context length
  int64_t chunk_tokens = 256;
  ShardSpec shard;
};

// Blocks a query attends to: select, or every block when select is kAllBlocks.
int32_t selected_blocks(const EvalConfig& c);

// Comma-separated method names, each known (method_names()) and none twice.
std::vector<std::string> parse_method_list(std::string_view text);

// The KV store next to the results file when --cache-dir is not given: results.sqlite -> results.kvcache.
std::filesystem::path default_cache_dir(const std::filesystem::path& db);
std::filesystem::path effective_cache_dir(const EvalConfig& c);
// Whether some method keeps a KV block cache on disk (dbsa, full-icl): only then is a store needed.
bool needs_block_store(const EvalConfig& c);

// Throws std::invalid_argument with one line naming the option and what was expected, for every check
// that needs no file: required options, ranges (select <= blocks, ...), names of methods, grouping and
// order.
void validate_config(const EvalConfig& c);

// The run parameters as a JSON object (stored verbatim with every run).
std::string config_json(const EvalConfig& c, std::string_view method, int32_t run);

}  // namespace dbsa
