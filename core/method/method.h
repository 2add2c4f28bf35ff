#pragma once
// The methods compared in the paper behind one interface (docs/METHOD.md "Baselines"): `dbsa`, `full-icl`,
// `cached-icl`, `retrieval-icl`, `zero-shot`. Each does its one-time work in setup() (pre-encoding,
// index building: the "setup" cost of the paper's Figure 3) and answers queries with the same Prediction
// record, so evaluations and benchmarks treat them alike.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_manifest.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "icl/grouping.h"
#include "method/cache_builder.h"
#include "method/prediction.h"
#include "method/query.h"
#include "text/tokenizer.h"
#include "util/progress.h"

namespace dbsa {

struct MethodInputs {
  LlamaModel* model = nullptr;
  const Tokenizer* tok = nullptr;
  CacheManifest manifest;            // model, dataset, prompt template, labels, seed
  std::vector<Example> demos;        // the pool, in pool order
  Blocks blocks;                     // grouping of the pool; block 0 is the sink
  CacheLayoutSpec layout;            // block size, grouping name, S, P, BOS, KV dtype (dbsa)
  std::filesystem::path cache_root;  // KV block store of dbsa / full-icl (required by them)
  LockWait cache_lock_wait;          // how setup waits for another process building the same cache
  QueryConfig query;  // n_select (blocks; retrieval-icl retrieves n_select x block_demos demos), order
  int64_t chunk_tokens = 256;
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string_view name() const = 0;
  // One-time work; progress(fraction) may return false to cancel (then setup returns false and leaves
  // no partial cache). Calling predict() before a successful setup() throws.
  virtual bool setup(const Progress& progress = {}) = 0;
  virtual double setup_seconds() const = 0;
  // True when setup found its block cache in the store (also one another process finished meanwhile).
  virtual bool reused_cache() const { return false; }
  // Bytes of K/V the method keeps between queries (on disk for block caches, in memory for cached-icl).
  virtual uint64_t kv_bytes() const = 0;
  virtual Prediction predict(std::string_view text) = 0;
};

// Throws std::invalid_argument naming the known methods for an unknown name, or when inputs lack
// what the method needs.
std::unique_ptr<Method> make_method(std::string_view name, MethodInputs inputs);
std::vector<std::string> method_names();

// Whether the method keeps a KV block cache in the store: dbsa and full-icl.
bool uses_block_cache(std::string_view method);
// The layout of the method's block cache: full-icl's is dense (S = P = all) whatever `spec` says, dbsa's
// is `spec`.
CacheLayoutSpec method_cache_layout(std::string_view method, CacheLayoutSpec spec);
// The store key of the block cache the method would build for `inputs`; nullopt for a method without
// one. What a caller checks for a cache hit before setup.
std::optional<CacheKey> method_cache_key(std::string_view method, const MethodInputs& inputs);

}  // namespace dbsa
