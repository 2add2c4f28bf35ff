#pragma once
// An opened KV block cache: the catalog read into memory, every block file mapped read-only, block
// checksums verified (all at open, or each on first use), and assembly of the K/V of selected blocks
// for a query. A snapshot: blocks appended later are seen after reopening. Every const member is safe
// to call from several threads at once (e.g. one assembly per layer in parallel).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "cache/block_format.h"
#include "cache/cache_catalog.h"
#include "cache/cache_key.h"
#include "cache/mapped_file.h"

namespace dbsa {

enum class VerifyMode {
  All,  // every block's checksum at open: a damaged cache fails before any work
  Lazy  // each block's checksum the first time it is used (fast open of large caches)
};

class BlockCache {
 public:
  // Opens the cache folder `dir`. With expected_key, a cache built for another key is refused with
  // every differing field named. Throws CacheError naming the folder, file and block on any problem.
  static BlockCache open(const std::filesystem::path& dir, const CacheKey* expected_key = nullptr,
                         VerifyMode mode = VerifyMode::All);

  BlockCache(BlockCache&&) noexcept = default;
  BlockCache& operator=(BlockCache&&) noexcept = default;

  const std::filesystem::path& dir() const { return dir_; }
  const CacheMeta& meta() const { return meta_; }
  const KvShape& shape() const { return meta_.shape; }
  int32_t n_blocks() const { return static_cast<int32_t>(blocks_.size()); }
  const std::vector<BlockRecord>& blocks() const { return blocks_; }
  const BlockRecord& block(int32_t index) const;  // throws CacheError when out of range

  // Checks the block's checksum and header (once; later calls return at once when it passed).
  void verify_block(int32_t index) const;
  void verify_all() const;
  // The block's bytes as a validated view (verified first).
  BlockView view(int32_t index) const;

  int64_t total_tokens(std::span<const int32_t> blocks) const;
  std::vector<int32_t> token_ids(std::span<const int32_t> blocks) const;
  // K and V of `layer` for the concatenation of `blocks` (in the given order, repeats allowed), written
  // as floats into k_out and v_out, each total_tokens(blocks) x n_head_kv x head_dim. The F16/int8 to
  // float conversion writes straight into the outputs: the one and only copy.
  void assemble(std::span<const int32_t> blocks, int32_t layer, float* k_out, float* v_out) const;

  uint64_t kv_bytes() const;  // bytes of all block data

 private:
  BlockCache() = default;
  std::span<const std::byte> block_bytes(int32_t index) const;
  std::string block_file(int32_t index) const;

  std::filesystem::path dir_;
  CacheMeta meta_;
  std::vector<BlockRecord> blocks_;
  std::vector<MappedFile> files_;                     // one per block, same order
  std::unique_ptr<std::atomic<uint8_t>[]> verified_;  // 1 once the block's checksum passed
};

}  // namespace dbsa
