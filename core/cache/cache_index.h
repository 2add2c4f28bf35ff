#pragma once
// The retrieval indexes a cache folder keeps beside its blocks: `bm25/` (Xapian, written by
// method/cache_builder.h) and `dense-l<layer>/` (FAISS, method/dense_block_retriever.h). Each is a
// sealed folder (cache/sealed_dir.h) derived from the blocks alone, so it can always be rebuilt; this
// file holds their names and the rules for when a stored one may serve a query.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace dbsa {

inline constexpr std::string_view kBm25IndexName = "bm25";
// "dense-l<layer>": one index per embedding layer, since each layer embeds the blocks differently.
std::string dense_index_name(int32_t layer);

std::filesystem::path cache_index_dir(const std::filesystem::path& cache_dir, std::string_view name);

// The folder of the stored index `name` of the cache in cache_dir, verified against its seal (a damaged
// index is a CacheError naming the file, never silently rebuilt), or an empty path when there is none.
std::filesystem::path stored_cache_index(const std::filesystem::path& cache_dir, std::string_view name);

// Whether a stored index of `documents` entries in `index_dir` serves the cache's n_blocks blocks: true
// when it covers every one; false when it covers fewer (an append committed its blocks and has not
// swapped its index in yet, or died in between), `note` then says the index is rebuilt; a CacheError
// naming the folder when it has more (it is not this cache's).
bool stored_index_covers(const std::filesystem::path& index_dir, size_t documents, int32_t n_blocks,
                         std::string* note);

// Writes (or replaces) the index `name` of the cache in cache_dir: fill(tmp) writes its files into a
// fresh folder, which is sealed and swapped in (write_sealed_dir).
void write_cache_index(const std::filesystem::path& cache_dir, std::string_view name,
                       const std::function<void(const std::filesystem::path& tmp)>& fill);

}  // namespace dbsa
