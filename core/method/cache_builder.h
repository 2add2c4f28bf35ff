#pragma once
// Builds (or grows) a KV block cache from a pool: block texts and tokens as the paper's code makes
// them, the block-sparse pre-encoding into a CacheWriter, the manifest a query needs, and a BM25 index
// over the block texts kept inside the cache folder. Cancelled builds leave nothing behind.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_key.h"
#include "cache/cache_manifest.h"
#include "cache/cache_store.h"
#include "engine/block_layout.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "icl/grouping.h"
#include "method/pre_encoder.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

struct CacheLayoutSpec {
  int32_t block_demos = 50;
  std::string grouping = "in-order";
  BlockLayout pattern;  // S and P
  bool bos = false;
  KvDtype dtype = KvDtype::F16;
};

// The store key of a cache of `demos` (in pool order) built under `spec`; the pool fingerprint covers
// the demonstrations, the seed, the prompt template (which changes every block's text) and the label set.
CacheKey block_cache_key(const CacheManifest& manifest, const std::vector<Example>& demos,
                         const CacheLayoutSpec& spec);

struct BuildResult {
  std::filesystem::path dir;  // the cache folder (empty when cancelled)
  bool cancelled = false;
  bool reused = false;  // the store already held this cache: nothing was computed
  PreEncodeStats stats;
  int32_t n_blocks = 0;
  int64_t n_tokens = 0;
};

// Encodes the pool's blocks (indices into demos, block 0 the sink) under the key's S and P and publishes
// the cache under the store; an existing cache of the same key is reused when reuse_existing.
// manifest.n_demos is set here.
BuildResult build_block_cache(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                              const CacheKey& key, CacheManifest manifest, const std::vector<Example>& demos,
                              const Blocks& blocks, const PreEncodeOptions& opts, bool reuse_existing = true);

// The demonstrations an append adds and their blocks (indices into demos).
struct AppendRows {
  std::vector<Example> demos;
  Blocks blocks;
};
// Decides an append's rows from the cache's manifest and key as read under its lock (so they are read
// once, and never from a cache another writer is changing); may throw to refuse the append.
using AppendSource = std::function<AppendRows(const CacheManifest&, const CacheKey&)>;

// Appends the rows `source` gives to the cache in `dir` under its S and P, encoding only their tokens,
// then refreshes the manifest's n_demos and the BM25 index, all under the cache's lock (waiting for
// another writer as `wait` says). Their labels must be in the manifest's set. Nothing is written before
// every check has passed.
BuildResult append_block_cache(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                               const AppendSource& source, const PreEncodeOptions& opts,
                               const LockWait& wait = {});
// The same for rows already grouped.
BuildResult append_block_cache(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                               const std::vector<Example>& new_demos, const Blocks& new_blocks,
                               const PreEncodeOptions& opts, const LockWait& wait = {});

// Writes a BM25 index over `texts` (document id = block index) as the cache's bm25/ index
// (cache/cache_index.h), replacing any there.
void write_block_bm25(const std::filesystem::path& dir, const std::vector<std::string>& texts);
// The cache's BM25 index over its block texts: the one in the folder when it covers every block, else
// one built in memory from the catalog (cache/cache_index.h: stored_index_covers; `note`, when given,
// says why).
std::shared_ptr<const Retriever> open_block_bm25(const BlockCache& cache, std::string* note = nullptr);

}  // namespace dbsa
