#pragma once
// Keys and values of every layer for a sequence of tokens, K/V row t of layer l holding
// [n_head_kv][head_dim] floats. Each token also carries its RoPE position. Keys are stored either
// after RoPE (rotated once when written) or before RoPE (rotated when attention reads them, with the
// positions stored here) — the latter lets DBSA move cached blocks to new positions by rewriting
// positions only. A pre-RoPE cache may start with rows served by a KvRowSource (see set_prefix): the
// rows after them are stored here.
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "engine/kv_row_source.h"
#include "engine/rope.h"

namespace dbsa {

enum class KeyStorage { PostRope, PreRope };
// How rows are held: F32, or F16 (rounded to nearest), half the memory and half the bytes a decode step
// over a long context reads (llama.cpp's default cache type). F16 takes keys after RoPE only: pre-RoPE
// caches serve DBSA's encoding and queries, whose rotated key copies are F32 and whose stored blocks are
// F16 in the block store already.
enum class KvType { F32, F16 };
std::string_view kv_type_name(KvType t);  // "f32", "f16"
// The type a name selects; throws std::invalid_argument naming the accepted names otherwise.
KvType parse_kv_type(std::string_view name);

class KvCache {
  // A layer's rows in one element type (defined first: the accessors below deduce from it).
  template <class Store>
  auto* rows(Store& s, KvType want, int32_t layer) const {
    if (type_ != want) throw std::logic_error("KvCache: the rows are held as the other type (F32/F16)");
    return s[static_cast<size_t>(layer)].data();
  }

 public:
  KvCache() = default;
  KvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int64_t capacity, KeyStorage storage,
          KvType type = KvType::F32);

  int32_t n_layer() const { return n_layer_; }
  int32_t n_head_kv() const { return n_head_kv_; }
  int32_t head_dim() const { return head_dim_; }
  int64_t row_floats() const { return static_cast<int64_t>(n_head_kv_) * head_dim_; }
  KeyStorage storage() const { return storage_; }
  KvType type() const { return type_; }
  int64_t size() const { return n_; }
  int64_t capacity() const { return capacity_; }

  // Grows the storage (existing rows kept); never shrinks. Counts stored rows (not prefix rows).
  void reserve(int64_t capacity);
  // Empties the cache and makes rows [0, source->rows()) those of `source`, at `positions` (one per
  // row). Only for pre-RoPE keys: the source's keys are rotated when attention reads them.
  void set_prefix(std::shared_ptr<const KvRowSource> source, std::span<const int32_t> positions);
  const KvRowSource* prefix() const { return prefix_.get(); }
  int64_t prefix_rows() const { return prefix_rows_; }
  // Appends n rows with the given positions (K/V content to be written by the caller); returns the
  // index of the first new row. Grows capacity geometrically when needed.
  int64_t append(std::span<const int32_t> positions);
  // Drops rows [n, size()). n = 0 also drops a prefix; 0 < n < prefix_rows() throws.
  void truncate(int64_t n);
  // Removes stored rows [begin, end): later rows (K, V, positions) move down by end - begin. Lets a
  // block-sparse pre-encoding keep only the blocks later tokens still see.
  void erase_rows(int64_t begin, int64_t end);
  void clear() { truncate(0); }

  // Stored rows only: row >= prefix_rows() (rows up to size(), or one past for a base pointer). k()/v()
  // are an F32 cache's rows, k16()/v16() an F16 cache's; asking for the other type throws.
  float* k(int32_t layer, int64_t row) { return rows(k_, KvType::F32, layer) + stored(row); }
  float* v(int32_t layer, int64_t row) { return rows(v_, KvType::F32, layer) + stored(row); }
  const float* k(int32_t layer, int64_t row) const { return rows(k_, KvType::F32, layer) + stored(row); }
  const float* v(int32_t layer, int64_t row) const { return rows(v_, KvType::F32, layer) + stored(row); }
  const uint16_t* k16(int32_t layer, int64_t row) const {
    return rows(kh_, KvType::F16, layer) + stored(row);
  }
  const uint16_t* v16(int32_t layer, int64_t row) const {
    return rows(vh_, KvType::F16, layer) + stored(row);
  }
  // Writes n rows of keys and values (row_floats() floats each, at k and v) to stored rows [row, row+n)
  // of `layer`, rounded to F16 in an F16 cache.
  void store_rows(int32_t layer, int64_t row, int64_t n, const float* k, const float* v);

  std::span<const int32_t> positions() const { return {positions_.data(), static_cast<size_t>(n_)}; }
  // Rewrites positions of rows [first, first+p.size()). Only meaningful for pre-RoPE keys (post-RoPE
  // keys keep the rotation they were written with).
  void set_positions(int64_t first, std::span<const int32_t> p);

  // cos/sin rows for every stored position (kept up to date incrementally).
  const RopeTable& rope_table(const RopeParams& p);
  // Pre-RoPE caches: the stored rows' keys of `layer` rotated to their positions, laid out as k(layer,
  // prefix_rows()). A block-sparse encode reads every cached key once per query tile and chunk (~16
  // times); rotating it once here spares the attention a copy and a rotation each time. Rows are rotated
  // when first asked for after they were appended or their positions changed; keys rewritten in place
  // through k() after that are not seen (only freshly appended rows are written through k()).
  const float* rotated_k(int32_t layer, const RopeParams& p);

  // Bytes held by K and V and the rotated keys if any (stored rows; a prefix source's bytes are its own).
  int64_t bytes() const;

 private:
  int64_t stored(int64_t row) const { return (row - prefix_rows_) * row_floats(); }

  int32_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0;
  int64_t n_ = 0, capacity_ = 0;  // n_ counts prefix rows too, capacity_ only stored ones
  std::shared_ptr<const KvRowSource> prefix_;
  int64_t prefix_rows_ = 0;
  KeyStorage storage_ = KeyStorage::PostRope;
  KvType type_ = KvType::F32;
  std::vector<std::vector<float>> k_, v_;       // F32 caches
  std::vector<std::vector<uint16_t>> kh_, vh_;  // F16 caches
  std::vector<std::vector<float>> kr_;          // rotated_k(): allocated on first use
  std::vector<int64_t> kr_valid_;  // per layer: rows [prefix_rows_, kr_valid_) of kr_ are current
  std::vector<int32_t> positions_;
  RopeTable table_;
  int64_t table_valid_ = 0;  // rows of table_ that match positions_
};

}  // namespace dbsa
