#pragma once
// A sealed folder: a derived index inside a cache folder (the BM25 index, a dense index) whose files are
// listed with their sizes and XXH3-128 in `<folder>/dbsa-seal.json`, itself checksummed. The seal is
// written inside the folder before the folder is renamed into place, so it is atomic with the index: a
// reader either sees no folder, or a folder whose every byte the seal vouches for. The catalog covers
// the blocks the same way (cache/cache_catalog.h); together a flipped byte anywhere in a cache folder is
// refused.
#include <filesystem>

namespace dbsa {

inline constexpr const char* kSealFileName = "dbsa-seal.json";

// Writes the seal of every regular file now in `dir` (durably).
void seal_dir(const std::filesystem::path& dir);
// Throws CacheError naming the file that is missing, extra, resized or changed, and what was expected.
void verify_sealed_dir(const std::filesystem::path& dir);

// Publishes the sealed folder `tmp` as `dir` (replacing one there) and removes what it replaced; a
// reader sees the old folder, the new one, or, for the instant between two renames, none.
void publish_sealed_dir(const std::filesystem::path& tmp, const std::filesystem::path& dir);

}  // namespace dbsa
