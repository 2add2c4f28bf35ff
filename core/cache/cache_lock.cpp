#include "cache/cache_lock.h"

#include <cmath>
#include <string>

#include "cache/cache_error.h"

namespace dbsa {

std::filesystem::path cache_lock_file(const std::filesystem::path& cache_dir) {
  const auto dir = cache_dir.filename().empty() ? cache_dir.parent_path() : cache_dir;
  return dir.parent_path() / (".lock-" + dir.filename().string());
}

FileLock lock_cache(const std::filesystem::path& cache_dir, const char* action, const LockWait& wait) {
  const auto file = cache_lock_file(cache_dir);
  try {
    return FileLock::acquire(file, wait);
  } catch (const LockBusy& e) {
    std::string msg = std::string("cannot ") + action + " cache '" + cache_dir.string() +
                      "': " + lock_holder_text(e.holder_pid()) + " is writing it (lock '" + file.string() +
                      "'";
    if (e.waited_s() > 0) msg += ", waited " + std::to_string(std::lround(e.waited_s())) + " s";
    throw CacheError(msg + ")");
  } catch (const FileError& e) {
    throw CacheError(std::string("cannot ") + action + " cache '" + cache_dir.string() + "': " + e.what());
  }
}

}  // namespace dbsa
