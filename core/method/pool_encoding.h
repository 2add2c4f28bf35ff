#pragma once
// A loaded pool, grouped into blocks, pre-encoded into the KV block store under its key: the manifest a
// query needs (model path and fingerprints, dataset, template, labels, seed), the store key and the
// build itself; and the append of a pool file's demonstrations to an existing cache. Shared by
// `dbsa encode` and the studio's Cache page so both publish identical caches.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// Encodes under spec.layout's S and P; opts.progress may cancel.
PoolEncoding encode_pool(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                         const PoolCacheSpec& spec, const LoadedPool& pool, const Blocks& blocks,
                         const PreEncodeOptions& opts);

struct PoolAppend {
  BuildResult build;                // build.cancelled: nothing was added
  CacheKey key;                     // the cache's (unchanged by the append)
  std::vector<SkippedRow> skipped;  // rows of the pool file skipped with skip_bad_rows
};

// Appends the demonstrations of `pool_file` (JSONL; labels must be the cache's) to the cache in `dir` as
// new blocks, grouped as the cache's key says (seeded with `seed`, or the cache's own seed) and encoded
// under its S and P. The model must be the file the cache was built with (fingerprint_file: model_fp)
// at the same precision; every refusal names the folder and comes before anything is written. The
// cache's manifest and key are read once, under its lock.
PoolAppend append_pool_file(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                            const std::string& model_fp, const std::filesystem::path& pool_file,
                            bool skip_bad_rows, std::optional<uint64_t> seed, const PreEncodeOptions& opts,
                            const LockWait& wait = {});

}  // namespace dbsa
