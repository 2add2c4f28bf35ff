#pragma once
// The one writer lock of a cache folder `<root>/<digest>`: the file `<root>/.lock-<digest>`, beside the
// folder so that it exists before the folder does (a create) and outlives its deletion. Every writer of
// a cache folder (create, append, delete) holds it from before its first read of the folder until its
// last write; readers never take it (the catalog's transactions keep what they see whole).
#include <filesystem>

#include "util/file_lock.h"

namespace dbsa {

std::filesystem::path cache_lock_file(const std::filesystem::path& cache_dir);

// Takes the lock of `cache_dir` for `action` ("build", "append to", "delete"); throws CacheError naming
// the cache, the holder and how long it waited when the wait ends first.
FileLock lock_cache(const std::filesystem::path& cache_dir, const char* action, const LockWait& wait);

}  // namespace dbsa
