#pragma once
// A loaded pool, grouped into blocks, pre-encoded into the KV block store under its key: the manifest a
// query needs (model path and fingerprints, dataset, template, labels, seed), the store key and the
// build itself. Shared by `dbsa encode` and the studio's Cache page so both publish identical caches.
#include <filesystem>
#include <string>

#include "cache/cache_store.h"
#include "icl/pool_source.h"
#include "method/cache_builder.h"

namespace dbsa {

struct PoolCacheSpec {
  std::filesystem::path model_path;  // recorded absolute in the manifest
  std::string model_fingerprint;     // fingerprint_file(model_path); computed when empty
  CacheLayoutSpec layout;
  uint64_t seed = 0;  // the pool draw / grouping seed
};

struct PoolEncoding {
  BuildResult build;  // build.cancelled: nothing was published
  CacheKey key;
};

// opts.sink_blocks / prev_blocks are taken from spec.layout; opts.progress may cancel.
PoolEncoding encode_pool(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                         const PoolCacheSpec& spec, const LoadedPool& pool, const Blocks& blocks,
                         PreEncodeOptions opts);

}  // namespace dbsa
