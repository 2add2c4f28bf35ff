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
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_manifest.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "method/query.h"
#include "model/gguf_file.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

// How the caller wants the model loaded (threads, weight types).
using ModelLoader = std::function<std::unique_ptr<LlamaModel>(std::shared_ptr<const GgufFile>)>;

struct CacheSessionOptions {
  std::filesystem::path model;     // empty: the path recorded in the cache's manifest
  std::string retriever = "bm25";  // one of block_retriever_names()
  int32_t dense_layer = -1;        // dense: hidden layer of the embedding; < 0: the model's middle
};

// The retrievers a cache's blocks can be ranked with: "bm25" (the paper's), "dense" (the model's own
// embeddings, method/dense_block_retriever.h).
std::vector<std::string> block_retriever_names();

// A query answered with the softmax weights of one head captured for every query token: what the
// studio's Attention page draws.
struct CapturedQuery {
  Prediction prediction;
  std::vector<int32_t> query_tokens;    // the query's tokens (the capture's rows)
  std::vector<int32_t> context_tokens;  // the selected blocks' tokens in context order
  AttentionCapture capture;             // each query token over the context, then the query
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
  // Why the stored retrieval index was rebuilt on opening (empty when it was used as stored).
  const std::string& index_note() const { return index_note_; }
  // query().run(text, cfg) capturing (layer, head) of the cache's model; throws std::invalid_argument
  // naming the model's layer and head counts when either is out of range.
  CapturedQuery run_captured(std::string_view text, QueryConfig cfg, int32_t layer, int32_t head);
  // Whether `demos` (in pool order) are the pool this cache was built from, so its demo ids index them.
  bool built_from(const std::vector<Example>& demos) const;
  double setup_seconds() const { return setup_seconds_; }  // opening, checks, model load, index

 private:
  CacheManifest manifest_;
  BlockCache cache_;
  std::string model_path_;
  std::unique_ptr<Tokenizer> tok_;
  std::unique_ptr<LlamaModel> model_;
  std::string retriever_name_;
  std::string index_note_;
  std::unique_ptr<BlockQuery> query_;
  double setup_seconds_ = 0.0;
};

}  // namespace dbsa
