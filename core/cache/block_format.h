#pragma once
// The on-disk format of one KV block: K and V of every layer for the block's tokens.
//
//   header (64 bytes, little-endian):
//     0  magic "DBSAKVBL"       8  u32 format version    12 u32 dtype (0 f16, 1 int8)
//     16 u32 block index        20 u32 n_layer           24 u32 n_head_kv    28 u32 head_dim
//     32 u32 n_tokens           36 u32 header bytes (64) 40 u64 file bytes   48..63 zero
//   int8 only: scales, f32, for each layer: K scales [n_head_kv], then V scales [n_head_kv]
//   for each layer: K [n_tokens][n_head_kv][head_dim], then V in the same layout
//
// Keys are stored before RoPE (the engine rotates them at the positions of each assembly).
// int8 is symmetric with one scale per (layer, head, K|V) of the block: scale = max|x| / 127 and
// q = round(x / scale), so the error is at most scale / 2. Per-head scales because the magnitude of K
// differs a lot between heads; per-block so that a block's file is self-contained and appending
// blocks never rescales old ones.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"

namespace dbsa {

struct KvShape {
  int32_t n_layer = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;
  // Floats per token in one K (or V) row of a layer.
  std::size_t row() const { return static_cast<std::size_t>(n_head_kv) * static_cast<std::size_t>(head_dim); }
  friend bool operator==(const KvShape&, const KvShape&) = default;
};

inline constexpr uint32_t kBlockFormatVersion = 1;
inline constexpr std::size_t kBlockHeaderBytes = 64;

// Throws CacheError when the size does not fit in 64 bits.
std::size_t block_file_bytes(const KvShape& shape, KvDtype dtype, uint32_t n_tokens);

// Builds one block's bytes in memory, converting each layer as it arrives (any layer order).
class BlockEncoder {
 public:
  BlockEncoder(const KvShape& shape, KvDtype dtype, uint32_t block_index, uint32_t n_tokens);
  // k, v: [n_tokens][n_head_kv][head_dim] floats. Throws CacheError for a layer out of range or given
  // twice, a non-finite value, or an F16 overflow (naming block, layer, K/V, token, head, dim).
  void put_layer(int32_t layer, const float* k, const float* v);
  // The first layer not yet given, or -1 when every layer is in.
  int32_t missing_layer() const;
  std::span<const std::byte> bytes() const { return bytes_; }
  uint32_t block_index() const { return block_index_; }
  uint32_t n_tokens() const { return n_tokens_; }

 private:
  void encode(int32_t layer, bool is_v, const float* x);

  KvShape shape_;
  KvDtype dtype_;
  uint32_t block_index_;
  uint32_t n_tokens_;
  std::vector<std::byte> bytes_;
  std::vector<bool> have_;
};

// A validated, read-only view of one block's bytes (usually a slice of a mapped file).
class BlockView {
 public:
  // Checks the header against what the catalog says; throws CacheError naming `file`, the block, the
  // byte offset and both values on any mismatch.
  BlockView(std::span<const std::byte> bytes, const KvShape& shape, KvDtype dtype, uint32_t block_index,
            uint32_t n_tokens, std::string_view file);
  uint32_t n_tokens() const { return n_tokens_; }
  // Converts layer's K (or V) to float into out[n_tokens][n_head_kv][head_dim].
  void read_k(int32_t layer, float* out) const { decode(layer, false, out); }
  void read_v(int32_t layer, float* out) const { decode(layer, true, out); }
  // Tokens [first, first + n) of one KV head of layer's K (or V) as floats out[n][head_dim]: the tile
  // a streaming attention reads. Throws CacheError for a layer, head or token range out of bounds.
  void read_head(int32_t layer, bool is_v, int32_t head, uint32_t first, uint32_t n, float* out) const;
  // Tokens [first, first + n) of every KV head: out[n][n_head_kv][head_dim], one contiguous run of the
  // file (the fastest read when attention wants all heads of a key tile).
  void read_rows(int32_t layer, bool is_v, uint32_t first, uint32_t n, float* out) const;
  // Asks the CPU to load the K and V bytes of those rows into its caches (a hint: out-of-range rows are
  // ignored, results never change).
  void prefetch_rows(int32_t layer, uint32_t first, uint32_t n) const;
  // The int8 scale of (layer, head) for K or V; 0 for F16 blocks.
  float scale(int32_t layer, int32_t head, bool is_v) const;

 private:
  void decode(int32_t layer, bool is_v, float* out) const;
  // Bytes of one stored value, and where token `first` of (layer, K or V) begins (no range checks).
  std::size_t elem_bytes() const;
  const std::byte* row_at(int32_t layer, bool is_v, uint32_t first) const;

  std::span<const std::byte> bytes_;
  KvShape shape_;
  KvDtype dtype_;
  uint32_t n_tokens_;
};

}  // namespace dbsa
