#include "cache/cache_index.h"

#include "cache/cache_error.h"
#include "cache/sealed_dir.h"

namespace dbsa {

std::string dense_index_name(int32_t layer) {
  return "dense-l" + std::to_string(layer);
}

std::filesystem::path cache_index_dir(const std::filesystem::path& cache_dir, std::string_view name) {
  return cache_dir / std::string(name);
}

std::filesystem::path stored_cache_index(const std::filesystem::path& cache_dir, std::string_view name) {
  const auto dir = cache_index_dir(cache_dir, name);
  if (!std::filesystem::exists(dir)) return {};
  verify_sealed_dir(dir);
  return dir;
}

bool stored_index_covers(const std::filesystem::path& index_dir, size_t documents, int32_t n_blocks,
                         std::string* note) {
  const auto n = static_cast<size_t>(n_blocks);
  if (documents > n)
    throw CacheError("index '" + index_dir.string() + "' holds " + std::to_string(documents) +
                     " documents but the cache has " + std::to_string(n) +
                     " blocks: it is not this cache's index; delete the folder to have it rebuilt");
  if (documents == n) return true;
  if (note)
    *note = "index '" + index_dir.string() + "' covers " + std::to_string(documents) + " of the cache's " +
            std::to_string(n) +
            " blocks (an append has not swapped its index in yet, or stopped before it did); rebuilt it";
  return false;
}

void write_cache_index(const std::filesystem::path& cache_dir, std::string_view name,
                       const std::function<void(const std::filesystem::path& tmp)>& fill) {
  write_sealed_dir(cache_index_dir(cache_dir, name), fill);
}

}  // namespace dbsa
