#pragma once
// Everything a DBSA query over a published cache needs, opened and cross-checked once: the manifest,
// the block cache, the model the cache was built with (refused when its fingerprint or tokenizer
// differs), the block retriever (BM25 or dense) and a BlockQuery over them. `dbsa query` opens one per
// call; the studio keeps one open while queries are asked.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "cache/block_cache.h"
#include "engine/llama_model.h"
#include "method/cache_manifest.h"
#include "method/query.h"
#include "model/gguf_file.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

// How the caller wants the model loaded (threads, weight types).
using ModelLoader = std::function<std::unique_ptr<LlamaModel>(std::shared_ptr<const GgufFile>)>;

struct CacheSessionOptions {
  std::filesystem::path model;     // empty: the path recorded in the cache's manifest
  std::string retriever = "bm25";  // "bm25" or "dense"
  int32_t dense_layer = -1;        // dense: hidden layer of the embedding; < 0: the model's middle
};

class CacheSession {
 public:
  // Throws std::runtime_error naming the cache folder and the model file when they do not belong
  // together, std::invalid_argument for an unknown retriever, and the readers' errors otherwise.
  CacheSession(const std::filesystem::path& dir, const CacheSessionOptions& opts, const ModelLoader& load);
  CacheSession(const CacheSession&) = delete;
  CacheSession& operator=(const CacheSession&) = delete;

  const CacheManifest& manifest() const { return manifest_; }
  const BlockCache& cache() const { return cache_; }
  const std::string& model_path() const { return model_path_; }
  const Tokenizer& tokenizer() const { return *tok_; }
  LlamaModel& model() { return *model_; }
  BlockQuery& query() { return *query_; }
  const std::string& retriever_name() const { return retriever_name_; }
  double setup_seconds() const { return setup_seconds_; }  // opening, checks, model load, index

 private:
  CacheManifest manifest_;
  BlockCache cache_;
  std::string model_path_;
  std::unique_ptr<Tokenizer> tok_;
  std::unique_ptr<LlamaModel> model_;
  std::string retriever_name_;
  std::unique_ptr<BlockQuery> query_;
  double setup_seconds_ = 0.0;
};

}  // namespace dbsa
