#include "eval/eval_config.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "engine/thread_pool.h"
#include "icl/grouping.h"
#include "method/method.h"
#include "method/query.h"
#include "util/name_list.h"

namespace dbsa {
namespace {

int32_t parse_int(std::string_view text, std::string_view what) {
  int32_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    throw std::invalid_argument(std::string(what) + ": expected an integer, got '" + std::string(text) + "'");
  return v;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

std::string ShardSpec::text() const {
  return count > 1 ? std::to_string(index) + "/" + std::to_string(count) : std::string();
}

ShardSpec parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    throw std::invalid_argument("--shard '" + std::string(text) + "': expected i/n with 0 <= i < n");
  ShardSpec s;
  s.index = parse_int(text.substr(0, slash), "--shard index");
  s.count = parse_int(text.substr(slash + 1), "--shard count");
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw std::invalid_argument("--shard '" + std::string(text) + "': expected i/n with 0 <= i < n");
  return s;
}

int32_t selected_blocks(const EvalConfig& c) {
  return c.select == kAllBlocks ? c.blocks : c.select;
}

std::vector<std::string> parse_method_list(std::string_view text) {
  const auto known = method_names();
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string name(text.substr(start, comma - start));
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw std::invalid_argument("--methods: unknown method '" + name + "' (expected one of " +
                                  name_list(known) + ")");
    require(seen.insert(name).second, "--methods: '" + name + "' is listed twice");
    out.push_back(name);
    start = comma + 1;
  }
  return out;
}

std::filesystem::path default_cache_dir(const std::filesystem::path& db) {
  auto p = db;
  p.replace_extension(".kvcache");
  return p;
}

std::filesystem::path effective_cache_dir(const EvalConfig& c) {
  return c.cache_dir.empty() ? default_cache_dir(c.db) : c.cache_dir;
}

bool needs_block_store(const EvalConfig& c) {
  for (const auto& m : c.methods)
    if (uses_block_cache(m)) return true;
  return false;
}

void validate_config(const EvalConfig& c) {
  require(!c.model.empty(), "--model is required");
  require(!c.dataset.empty(), "--dataset is required");
  require(!c.data_dir.empty(), "--data-dir is required");
  require(!c.db.empty(), "--db is required");
  require(!c.methods.empty(), "--methods: give at least one method");
  const auto known = method_names();
  for (const auto& m : c.methods)
    require(std::find(known.begin(), known.end(), m) != known.end(),
            "--methods: unknown method '" + m + "' (expected one of " + name_list(known) + ")");
  require(c.blocks >= 1, "--blocks must be >= 1 (or use --preset), got " + std::to_string(c.blocks));
  require(c.block_demos >= 1, "--block-demos must be >= 1, got " + std::to_string(c.block_demos));
  require(c.select >= 1 || c.select == kAllBlocks,
          "--select must be >= 1 or 'all' (or use --preset), got " + std::to_string(c.select));
  require(c.select <= c.blocks, "--select " + std::to_string(c.select) + " is larger than --blocks " +
                                    std::to_string(c.blocks) + " (a query can select at most every block)");
  try {
    c.pattern.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--sink/--prev: ") + e.what());
  }
  require(c.runs >= 1, "--runs must be >= 1, got " + std::to_string(c.runs));
  require(c.test >= 0, "--test must be >= 0 (0 = the whole test subset), got " + std::to_string(c.test));
  const std::string threads_error = thread_count_error(c.threads);
  require(threads_error.empty(), "--threads " + std::to_string(c.threads) + ": " + threads_error);
  require(c.chunk_tokens >= 1, "--chunk must be >= 1");
  require(c.shard.count >= 1 && c.shard.index >= 0 && c.shard.index < c.shard.count,
          "--shard: expected i/n with 0 <= i < n");
  const auto groupings = grouping_names();
  require(std::find(groupings.begin(), groupings.end(), c.grouping) != groupings.end(),
          "--grouping '" + c.grouping + "': expected one of " + name_list(groupings));
  try {
    (void)parse_block_order(c.order);
  } catch (const std::exception&) {
    throw std::invalid_argument("--order '" + c.order + "': expected one of " +
                                name_list(block_order_names()));
  }
}

std::string config_json(const EvalConfig& c, std::string_view method, int32_t run) {
  nlohmann::json j;
  j["method"] = std::string(method);
  j["run"] = run;
  j["model"] = c.model.string();
  j["dataset"] = c.dataset;
  j["methods"] = c.methods;
  j["blocks"] = c.blocks;
  j["block_demos"] = c.block_demos;
  // select stays a number for runs of earlier versions to compare equal; "all" only when chosen.
  if (c.select == kAllBlocks)
    j["select"] = "all";
  else
    j["select"] = c.select;
  j["sink"] = block_count_text(c.pattern.sink);
  j["prev"] = block_count_text(c.pattern.prev);
  j["grouping"] = c.grouping;
  j["order"] = c.order;
  j["runs"] = c.runs;
  j["test"] = c.test;
  j["test_indices"] = c.test_indices.string();
  j["base_seed"] = c.seed;
  j["seed"] = c.seed + static_cast<uint64_t>(run);
  j["preset"] = c.preset;
  j["cache_dir"] = effective_cache_dir(c).string();
  j["threads"] = c.threads;
  j["weights"] = weight_precision_name(c.weights);
  // Only when not the default, so that configurations written before the option existed stay the same.
  if (c.kv_cache != KvType::F32) j["kv_cache"] = kv_type_name(c.kv_cache);
  j["backend"] = c.backend;
  j["chunk_tokens"] = c.chunk_tokens;
  j["shard"] = c.shard.text();
  return j.dump();
}

}  // namespace dbsa
