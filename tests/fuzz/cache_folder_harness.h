#pragma once
// The cache folder's fuzz contract (core/cache: CacheCatalog, BlockCache): whatever catalog.sqlite and
// block files a folder holds, CacheCatalog::open + read_blocks and BlockCache::open either throw
// CacheError or give a sound cache: contiguous block indices, meta in the catalog's bounds, plain file
// names, every verified block readable within its bytes (the BlockView checks of block_view_harness.h)
// and assemble() equal to the blocks' own reads. Throws FuzzFinding for anything else.
//
// The harness knows no column of the catalog: it only opens what the seed writer (the real
// CacheWriter) wrote and the fuzzer mutated, so a schema change needs new seeds, not a new harness.
//
// Input: byte 0 holds mode bits, then files, each as [u8 name length][name][u32 LE size][bytes] (a
// truncated last file keeps the bytes there are). Names other than plain file names are skipped.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace dbsa::fuzz {

inline constexpr uint8_t kVerifyLazy = 1;  // BlockCache::open with VerifyMode::Lazy

// The input that check_cache_folder reads as these (name, bytes) files (for the seed writer).
std::string cache_folder_input(uint8_t mode, const std::vector<std::pair<std::string, std::string>>& files);

void check_cache_folder(std::span<const uint8_t> input);

}  // namespace dbsa::fuzz
