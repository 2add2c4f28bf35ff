#include "cache/cache_store.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <utility>

#include <unistd.h>

#include "cache/cache_error.h"
#include "cache/cache_lock.h"
#include "cache/cache_manifest.h"
#include "cache/sealed_dir.h"

namespace dbsa {
namespace {

uint64_t folder_bytes(const std::filesystem::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  }
  return n;
}

}  // namespace

CacheStore::CacheStore(std::filesystem::path root, LockWait lock_wait)
    : root_(std::move(root)), lock_wait_(std::move(lock_wait)) {}

bool CacheStore::contains(const CacheKey& key) const {
  return std::filesystem::is_regular_file(path_for(key) / kCatalogFileName);
}

std::vector<CacheSummary> CacheStore::list() const {
  std::vector<CacheSummary> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root_, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !is_key_digest(name)) continue;
    CacheSummary s;
    s.dir = entry.path();
    s.digest = name;
    s.bytes = folder_bytes(entry.path());
    try {
      const BlockCache cache = BlockCache::open(entry.path(), nullptr, VerifyMode::Lazy);
      s.meta = cache.meta();
      s.n_blocks = cache.n_blocks();
      for (const auto& b : cache.blocks()) s.n_tokens += b.n_tokens();
      if (s.meta.key_digest != name) s.error = "folder name differs from the key digest " + s.meta.key_digest;
    } catch (const CacheError& e) {
      s.error = e.what();
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
  return out;
}

BlockCache CacheStore::open(const CacheKey& key, VerifyMode mode) const {
  if (contains(key)) return BlockCache::open(path_for(key), &key, mode);
  std::string msg = "no cache for this configuration in '" + root_.string() + "' (key " + key.digest() + ")";
  // Point at the nearest cache: usually one field (a model or a setting) explains the miss.
  const CacheSummary* best = nullptr;
  std::vector<std::string> best_diffs;
  const auto all = list();
  for (const auto& s : all) {
    if (!s.error.empty()) continue;
    auto diffs = key_differences(key, s.meta.key);
    if (best == nullptr || diffs.size() < best_diffs.size()) {
      best = &s;
      best_diffs = std::move(diffs);
    }
  }
  if (best != nullptr) {
    msg += "; the closest cache, '" + best->dir.string() + "', differs in: ";
    for (std::size_t i = 0; i < best_diffs.size(); ++i) msg += (i ? "; " : "") + best_diffs[i];
  }
  throw CacheError(msg);
}

CacheWriter CacheStore::create(const CacheKey& key, const KvShape& shape) const {
  return CacheWriter::create(root_, key, shape, lock_wait_);
}

CacheWriter CacheStore::append(const CacheKey& key) const {
  if (!contains(key))
    throw CacheError("no cache to append to in '" + root_.string() + "' (key " + key.digest() + ")");
  return CacheWriter::append(path_for(key), &key, lock_wait_);
}

void CacheStore::remove(const CacheKey& key) const {
  if (!std::filesystem::is_directory(path_for(key))) {
    throw CacheError("no cache to delete in '" + root_.string() + "' (key " + key.digest() + ")");
  }
  remove_dir(path_for(key));
}

void CacheStore::remove_dir(const std::filesystem::path& dir) const {
  const FileLock lock = lock_cache(dir, "delete", lock_wait_);
  const auto trash =
      dir.parent_path() / (".trash-" + dir.filename().string() + "-" + std::to_string(::getpid()));
  std::error_code ec;
  std::filesystem::rename(dir, trash, ec);
  if (ec) throw CacheError("cannot delete cache '" + dir.string() + "': " + ec.message());
  std::filesystem::remove_all(trash, ec);
  if (ec)
    throw CacheError("cache '" + dir.string() + "' hidden as '" + trash.string() +
                     "' but not removed: " + ec.message());
}

std::string VerifyReport::summary() const {
  const std::string name = dir.filename().string();
  if (cancelled) return name + ": check cancelled";
  if (problems.empty()) return name + ": all " + std::to_string(n_blocks) + " blocks intact";
  return name + ": " + std::to_string(problems.size()) + " problem(s)";
}

VerifyReport CacheStore::verify(const std::filesystem::path& dir, const Progress& progress) const {
  VerifyReport r;
  r.dir = dir;
  std::vector<BlockRecord> blocks;
  try {
    // Lazy: open checks the catalog and the files' sizes; blocks are checked one by one below.
    const BlockCache cache = BlockCache::open(dir, nullptr, VerifyMode::Lazy);
    r.n_blocks = cache.n_blocks();
    std::set<std::string> listed;
    for (int32_t i = 0; i < cache.n_blocks(); ++i) {
      listed.insert(cache.block(i).file_name);
      try {
        cache.verify_block(i);
      } catch (const CacheError& e) {
        r.problems.push_back(e.what());
      }
      if (progress && !progress(static_cast<double>(i + 1) / cache.n_blocks())) {
        r.cancelled = true;
        return r;
      }
    }
    listed.insert(kCatalogFileName);
    // The manifest is the cache's own file, not a stray one: it must read as a manifest.
    if (std::filesystem::exists(dir / kManifestFileName)) {
      listed.insert(kManifestFileName);
      try {
        read_manifest(dir);
      } catch (const std::exception& e) {
        r.problems.push_back(e.what());
      }
    }
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (listed.count(name)) continue;
      if (e.is_directory() && std::filesystem::exists(e.path() / kSealFileName)) {
        // A derived index (BM25, dense): its seal vouches for every byte.
        try {
          verify_sealed_dir(e.path());
        } catch (const CacheError& err) {
          r.problems.push_back(err.what());
        }
        continue;
      }
      r.notes.push_back("file '" + e.path().string() + "' is not in the catalog");
    }
  } catch (const CacheError& e) {
    r.problems.push_back(e.what());
  }
  return r;
}

}  // namespace dbsa
