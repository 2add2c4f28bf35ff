#pragma once
// A sealed folder: a derived index inside a cache folder (the BM25 index, a dense index) whose files are
// listed with their sizes and XXH3-128 in `<folder>/dbsa-seal.json`, itself checksummed. The seal is
// written inside the folder before the folder is renamed into place, so it is atomic with the index: a
// reader either sees no folder, or a folder whose every byte the seal vouches for. The catalog covers
// the blocks the same way (cache/cache_catalog.h); together a flipped byte anywhere in a cache folder is
// refused.
#include <filesystem>
#include <functional>

namespace dbsa {

inline constexpr const char* kSealFileName = "dbsa-seal.json";

// Writes the seal of every regular file now in `dir` (durably).
void seal_dir(const std::filesystem::path& dir);
// Throws CacheError naming the file that is missing, extra, resized or changed, and what was expected.
void verify_sealed_dir(const std::filesystem::path& dir);

// Writes the sealed index `dir`: write(tmp) fills a fresh empty folder beside it, which is then sealed
// and renamed over `dir` (what it replaces is removed); a reader sees the old folder, the new one, or,
// for the instant between two renames, none. On any error the folder is removed and the error passes on.
void write_sealed_dir(const std::filesystem::path& dir,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

}  // namespace dbsa
