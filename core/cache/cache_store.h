#pragma once
// A store root holds one folder per cache, named by the key's digest. Hidden `.tmp-*` folders are
// builds in progress (or left by a crash) and `.trash-*` folders deletions in progress; neither is
// ever listed or opened.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_catalog.h"
#include "cache/cache_key.h"
#include "cache/cache_writer.h"
#include "util/file_lock.h"
#include "util/progress.h"

namespace dbsa {

struct CacheSummary {
  std::filesystem::path dir;
  std::string digest;  // the folder name
  CacheMeta meta;      // valid when error is empty
  int32_t n_blocks = 0;
  int64_t n_tokens = 0;
  uint64_t bytes = 0;  // every file in the folder
  std::string error;   // why the folder could not be read; it is still listed so it can be deleted
};

struct VerifyReport {
  std::filesystem::path dir;
  int32_t n_blocks = 0;
  std::vector<std::string> problems;  // each damaged or missing block, named
  std::vector<std::string> notes;     // harmless leftovers (files of an interrupted append)
  bool cancelled = false;             // the progress callback stopped the check early
  bool ok() const { return problems.empty() && !cancelled; }
  // The report's first line, as `dbsa cache verify` and the studio's Cache page print it:
  // "<folder>: all N blocks intact", "<folder>: K problem(s)" or "<folder>: check cancelled".
  std::string summary() const;
};

class CacheStore {
 public:
  explicit CacheStore(std::filesystem::path root, LockWait lock_wait = {});

  const std::filesystem::path& root() const { return root_; }
  // How create, append and remove wait for another writer of the same cache (default: as long as it
  // writes; the kernel drops a dead writer's lock).
  const LockWait& lock_wait() const { return lock_wait_; }
  void set_lock_wait(LockWait w) { lock_wait_ = std::move(w); }
  std::filesystem::path path_for(const CacheKey& key) const { return root_ / key.digest(); }
  bool contains(const CacheKey& key) const;

  // Every cache folder under the root, ordered by folder name (an absent root lists nothing).
  std::vector<CacheSummary> list() const;

  // Opens the cache of `key`. When there is none, the error names the closest cache in the store
  // and the fields in which its key differs.
  BlockCache open(const CacheKey& key, VerifyMode mode = VerifyMode::All) const;
  CacheWriter create(const CacheKey& key, const KvShape& shape) const;
  CacheWriter append(const CacheKey& key) const;

  // Deletes a cache, under its lock: renamed to a hidden `.trash-*` folder first (so it vanishes from
  // listings at once, even if the removal is interrupted), then removed.
  void remove(const CacheKey& key) const;
  void remove_dir(const std::filesystem::path& dir) const;

  // Checks every block of a cache folder and every sealed index in it (cache/sealed_dir.h), and reports
  // all problems (never throws for damage).
  // progress is called after each block with the fraction checked; returning false stops the check
  // (cancelled).
  VerifyReport verify(const std::filesystem::path& dir, const Progress& progress = {}) const;

 private:
  std::filesystem::path root_;
  LockWait lock_wait_;
};

}  // namespace dbsa
