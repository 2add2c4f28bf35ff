#pragma once
// One method of the evaluation over one pool: builds it through the method factory, knows whether its
// KV block cache is already in the store (a cache hit: setup only opens it), and answers test queries
// as QueryRows.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache_manifest.h"
#include "engine/llama_model.h"
#include "eval/query_row.h"
#include "icl/dataset.h"
#include "icl/grouping.h"
#include "method/cache_builder.h"
#include "text/tokenizer.h"
#include "util/progress.h"

namespace dbsa {

class Method;

struct SessionInputs {
  LlamaModel* model = nullptr;
  const Tokenizer* tok = nullptr;
  CacheManifest manifest;
  std::vector<Example> demos;  // the pool, in pool order
  Blocks blocks;
  CacheLayoutSpec layout;  // of dbsa (full-icl uses S = P = all)
  std::filesystem::path cache_root;
  LockWait cache_lock_wait;  // for a cache another process is building
  int32_t select = 0;
  std::string order = "in-order";
  int64_t chunk_tokens = 256;
};

class MethodSession {
 public:
  // Throws std::invalid_argument for an unknown method or inputs it cannot work with.
  MethodSession(const std::string& method, SessionInputs in);
  ~MethodSession();
  MethodSession(const MethodSession&) = delete;
  MethodSession& operator=(const MethodSession&) = delete;

  // True when the method's block cache is already in the store (checked before setup builds it, and
  // again after: a cache another process finished while this one waited counts as a hit).
  bool cache_hit() const { return cache_hit_; }
  // progress(fraction) returning false cancels; returns false then.
  bool setup(const Progress& progress);
  double setup_seconds() const;
  uint64_t kv_bytes() const;
  QueryRow predict(const std::string& text);

 private:
  std::unique_ptr<Method> method_;
  bool cache_hit_ = false;
};

}  // namespace dbsa
