#pragma once
// Writes a KV block cache so that readers only ever see complete caches:
// - create: everything is written into `<root>/.tmp-<digest>-<pid>` (each block file with temp + fsync
//   + rename), then the catalog, an fsync of the folder, and one rename to `<root>/<digest>`. A crash
//   at any point leaves only the hidden temporary folder, removed by the next build of the same key.
// - append: new block files are written durably into the live folder (readers ignore files the
//   catalog does not list), then all new catalog rows are committed in one SQLite transaction.
// Either way the writer holds the cache's lock (cache/cache_lock.h) for its whole life, so two writers
// of one cache never interleave. Without commit(), the destructor removes what the writer wrote, and
// only that.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cache/block_format.h"
#include "cache/cache_key.h"
#include "util/file_lock.h"

namespace dbsa {

// What the catalog records about a block besides its K/V.
struct BlockContent {
  std::vector<int64_t> demo_ids;
  std::vector<int32_t> token_ids;  // n_tokens of the block is token_ids.size()
  std::string text;
  std::vector<std::string> labels;
};

class CacheWriter {
 public:
  // Starts a new cache for `key` under `root` (created if missing), after waiting for the lock as `wait`
  // says. Temporary folders of the same key are then leftovers of dead builds and removed. Throws
  // CacheExists when the cache is already there (also when it appeared while waiting), CacheError when
  // the wait ends first.
  static CacheWriter create(const std::filesystem::path& root, const CacheKey& key, const KvShape& shape,
                            const LockWait& wait = {});
  // Adds blocks to the existing cache in `dir`, refused (every differing field named) when its key is
  // not *expected_key (any key when null). Block files that the catalog does not list are leftovers of
  // killed appends (a live one would hold the lock) and removed first.
  static CacheWriter append(const std::filesystem::path& dir, const CacheKey* expected_key,
                            const LockWait& wait = {});

  ~CacheWriter();
  CacheWriter(CacheWriter&&) noexcept;
  CacheWriter& operator=(CacheWriter&&) noexcept;

  // Declares the next block; returns its index (create: 0, 1, ...; append: after the existing ones).
  int32_t add_block(BlockContent content);
  // K and V of one layer of a declared block, each [n_tokens][n_head_kv][head_dim] floats, converted to
  // the cache's dtype at once. Layers and blocks may come in any order; a block's file is written as
  // soon as its last layer arrives, and its memory released.
  void put_layer(int32_t block, int32_t layer, const float* k, const float* v);
  // Publishes the cache (create) or the new blocks (append); returns the cache folder. Throws
  // CacheError naming the first block still missing a layer.
  std::filesystem::path commit();

  const KvShape& shape() const;
  const CacheKey& key() const;
  int32_t first_new_block() const;  // index of the first block this writer adds
  int32_t n_new_blocks() const;
  const std::filesystem::path& work_dir() const;  // where files go now (the temporary folder on create)

 private:
  struct State;
  explicit CacheWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// "<root>/.tmp-<digest>-<pid>": the folder a create() of `key` by process pid builds in.
std::filesystem::path temp_cache_dir(const std::filesystem::path& root, const CacheKey& key, long pid);

}  // namespace dbsa
