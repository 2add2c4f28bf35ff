#include "cache/block_cache.h"

#include <string>

#include <xxhash.h>

#include "cache/cache_error.h"

namespace dbsa {

BlockCache BlockCache::open(const std::filesystem::path& dir, const CacheKey* expected_key, VerifyMode mode) {
  if (!std::filesystem::is_directory(dir))
    throw CacheError("cache folder '" + dir.string() + "' does not exist");
  BlockCache c;
  c.dir_ = dir;
  {
    const CacheCatalog catalog = CacheCatalog::open(dir / kCatalogFileName, false);
    c.meta_ = catalog.meta();
    if (expected_key != nullptr) {
      const auto diffs = key_differences(*expected_key, c.meta_.key);
      if (!diffs.empty()) {
        std::string msg = "cache '" + dir.string() + "' was built for another configuration and is refused: ";
        for (std::size_t i = 0; i < diffs.size(); ++i) msg += (i ? "; " : "") + diffs[i];
        throw CacheError(msg);
      }
    }
    c.blocks_ = catalog.read_blocks();
  }
  c.verified_ = std::make_unique<std::atomic<uint8_t>[]>(c.blocks_.size());
  c.files_.reserve(c.blocks_.size());
  for (const auto& b : c.blocks_) {
    const auto path = dir / b.file_name;
    if (b.file_name.empty() || b.file_name.find('/') != std::string::npos) {
      // The catalog must not point outside the folder.
      throw CacheError("catalog '" + (dir / kCatalogFileName).string() + "', block " +
                       std::to_string(b.index) + ": invalid file name '" + b.file_name + "'");
    }
    c.files_.emplace_back(path);
    const auto size = c.files_.back().bytes().size();
    if (b.byte_offset > size || b.byte_length > size - b.byte_offset) {
      throw CacheError("block file '" + path.string() + "' (block " + std::to_string(b.index) + ") has " +
                       std::to_string(size) + " bytes; the catalog expects bytes " +
                       std::to_string(b.byte_offset) + ".." + std::to_string(b.byte_offset + b.byte_length) +
                       " (truncated?)");
    }
  }
  if (mode == VerifyMode::All) c.verify_all();
  return c;
}

const BlockRecord& BlockCache::block(int32_t index) const {
  if (index < 0 || index >= n_blocks()) {
    throw CacheError("cache '" + dir_.string() + "': block " + std::to_string(index) + " out of range [0, " +
                     std::to_string(n_blocks()) + ")");
  }
  return blocks_[static_cast<std::size_t>(index)];
}

std::string BlockCache::block_file(int32_t index) const {
  return (dir_ / blocks_[static_cast<std::size_t>(index)].file_name).string();
}

std::span<const std::byte> BlockCache::block_bytes(int32_t index) const {
  const auto& b = blocks_[static_cast<std::size_t>(index)];
  return files_[static_cast<std::size_t>(index)].bytes().subspan(b.byte_offset, b.byte_length);
}

void BlockCache::verify_block(int32_t index) const {
  const BlockRecord& b = block(index);
  auto& flag = verified_[static_cast<std::size_t>(index)];
  if (flag.load(std::memory_order_acquire) != 0) return;
  const auto bytes = block_bytes(index);
  const uint64_t sum = XXH3_64bits(bytes.data(), bytes.size());
  if (sum != b.checksum) {
    throw CacheError("block file '" + block_file(index) + "' (block " + std::to_string(index) +
                     ") is damaged: its checksum does not match the catalog; rebuild or delete the cache");
  }
  // The header must agree with the catalog too (a valid checksum of the wrong file is still wrong).
  BlockView(bytes, meta_.shape, meta_.key.dtype, static_cast<uint32_t>(index),
            static_cast<uint32_t>(b.n_tokens()), block_file(index));
  // Two threads may both verify the same block; both reach the same verdict.
  flag.store(1, std::memory_order_release);
}

void BlockCache::verify_all() const {
  for (int32_t i = 0; i < n_blocks(); ++i) verify_block(i);
}

BlockView BlockCache::view(int32_t index) const {
  verify_block(index);
  const auto& b = blocks_[static_cast<std::size_t>(index)];
  return BlockView(block_bytes(index), meta_.shape, meta_.key.dtype, static_cast<uint32_t>(index),
                   static_cast<uint32_t>(b.n_tokens()), block_file(index));
}

int64_t BlockCache::total_tokens(std::span<const int32_t> blocks) const {
  int64_t n = 0;
  for (int32_t i : blocks) n += block(i).n_tokens();
  return n;
}

std::vector<int32_t> BlockCache::token_ids(std::span<const int32_t> blocks) const {
  std::vector<int32_t> out;
  out.reserve(static_cast<std::size_t>(total_tokens(blocks)));
  for (int32_t i : blocks) {
    const auto& ids = block(i).token_ids;
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

void BlockCache::assemble(std::span<const int32_t> blocks, int32_t layer, float* k_out, float* v_out) const {
  if (layer < 0 || layer >= meta_.shape.n_layer) {
    throw CacheError("cache '" + dir_.string() + "': layer " + std::to_string(layer) + " out of range [0, " +
                     std::to_string(meta_.shape.n_layer) + ")");
  }
  const std::size_t row = meta_.shape.row();
  std::size_t offset = 0;
  for (int32_t i : blocks) {
    const BlockView v = view(i);
    v.read_k(layer, k_out + offset);
    v.read_v(layer, v_out + offset);
    offset += static_cast<std::size_t>(v.n_tokens()) * row;
  }
}

uint64_t BlockCache::kv_bytes() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b.byte_length;
  return n;
}

}  // namespace dbsa
