#include "engine/kv_cache.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/simd_kernels.h"

namespace dbsa {

std::string_view kv_type_name(KvType t) {
  return t == KvType::F16 ? "f16" : "f32";
}

KvType parse_kv_type(std::string_view name) {
  for (const KvType t : {KvType::F32, KvType::F16})
    if (name == kv_type_name(t)) return t;
  throw std::invalid_argument("KV cache type " + std::string(name) + ": expected f32 or f16");
}

KvCache::KvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim, int64_t capacity, KeyStorage storage,
                 KvType type)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), storage_(storage), type_(type) {
  if (n_layer <= 0 || n_head_kv <= 0 || head_dim <= 0)
    throw std::invalid_argument("KvCache: layer, head and head_dim counts must be positive");
  if (type == KvType::F16 && storage == KeyStorage::PreRope)
    throw std::invalid_argument("KvCache: an F16 cache holds keys after RoPE only");
  if (type == KvType::F16) {
    kh_.resize(static_cast<size_t>(n_layer));
    vh_.resize(static_cast<size_t>(n_layer));
  } else {
    k_.resize(static_cast<size_t>(n_layer));
    v_.resize(static_cast<size_t>(n_layer));
  }
  reserve(capacity);
}

void KvCache::reserve(int64_t capacity) {
  if (capacity <= capacity_) return;
  const auto n = static_cast<size_t>(capacity * row_floats());
  for (auto* stores : {&k_, &v_})
    for (auto& s : *stores) s.resize(n);
  for (auto* stores : {&kh_, &vh_})
    for (auto& s : *stores) s.resize(n);
  for (auto& k : kr_) k.resize(static_cast<size_t>(capacity * row_floats()));
  positions_.resize(static_cast<size_t>(prefix_rows_ + capacity));
  capacity_ = capacity;
}

void KvCache::set_prefix(std::shared_ptr<const KvRowSource> source, std::span<const int32_t> positions) {
  if (storage_ != KeyStorage::PreRope)
    throw std::invalid_argument("KvCache::set_prefix: a prefix source needs keys stored before RoPE");
  if (!source) throw std::invalid_argument("KvCache::set_prefix: null source");
  if (static_cast<int64_t>(positions.size()) != source->rows())
    throw std::invalid_argument("KvCache::set_prefix: " + std::to_string(positions.size()) +
                                " positions for " + std::to_string(source->rows()) + " rows");
  clear();
  prefix_ = std::move(source);
  prefix_rows_ = static_cast<int64_t>(positions.size());
  positions_.resize(static_cast<size_t>(prefix_rows_ + capacity_));
  std::copy(positions.begin(), positions.end(), positions_.begin());
  n_ = prefix_rows_;
  table_valid_ = 0;
  std::fill(kr_valid_.begin(), kr_valid_.end(), prefix_rows_);
}

int64_t KvCache::append(std::span<const int32_t> positions) {
  const auto n = static_cast<int64_t>(positions.size());
  const int64_t stored_rows = n_ - prefix_rows_;
  if (stored_rows + n > capacity_) reserve(std::max(stored_rows + n, capacity_ + capacity_ / 2));
  std::copy(positions.begin(), positions.end(), positions_.begin() + n_);
  const int64_t first = n_;
  n_ += n;
  return first;
}

void KvCache::erase_rows(int64_t begin, int64_t end) {
  if (begin < prefix_rows_ || begin > end || end > n_)
    throw std::out_of_range("KvCache::erase_rows: rows [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ") outside the stored rows [" +
                            std::to_string(prefix_rows_) + ", " + std::to_string(n_) + ")");
  if (begin == end) return;
  const auto move_down = [&](auto& store) {
    std::copy(store.begin() + stored(end), store.begin() + stored(n_), store.begin() + stored(begin));
  };
  for (auto* stores : {&k_, &v_})
    for (auto& s : *stores) move_down(s);
  for (auto* stores : {&kh_, &vh_})
    for (auto& s : *stores) move_down(s);
  // Rotated keys move with their rows (the positions move too, so the rotation stays right).
  for (size_t l = 0; l < kr_.size(); ++l) {
    int64_t& valid = kr_valid_[l];
    if (valid <= begin) continue;
    if (valid < end) {
      valid = begin;
      continue;
    }
    std::copy(kr_[l].begin() + stored(end), kr_[l].begin() + stored(valid), kr_[l].begin() + stored(begin));
    valid -= end - begin;
  }
  std::copy(positions_.begin() + end, positions_.begin() + n_, positions_.begin() + begin);
  n_ -= end - begin;
  table_valid_ = std::min(table_valid_, begin);
}

void KvCache::truncate(int64_t n) {
  if (n < 0 || n > n_)
    throw std::out_of_range("KvCache::truncate: " + std::to_string(n) + " outside [0, " + std::to_string(n_) +
                            "]");
  if (n > 0 && n < prefix_rows_)
    throw std::out_of_range("KvCache::truncate: " + std::to_string(n) + " would keep part of the " +
                            std::to_string(prefix_rows_) + " rows of a prefix source");
  if (n == 0 && prefix_) {
    prefix_.reset();
    prefix_rows_ = 0;
    positions_.resize(static_cast<size_t>(capacity_));
  }
  n_ = n;
  table_valid_ = std::min(table_valid_, n_);
  for (auto& valid : kr_valid_) valid = std::clamp(valid, prefix_rows_, std::max(prefix_rows_, n_));
}

void KvCache::set_positions(int64_t first, std::span<const int32_t> p) {
  if (first < 0 || first + static_cast<int64_t>(p.size()) > n_)
    throw std::out_of_range("KvCache::set_positions: rows [" + std::to_string(first) + ", " +
                            std::to_string(first + static_cast<int64_t>(p.size())) +
                            ") outside the cache of " + std::to_string(n_));
  std::copy(p.begin(), p.end(), positions_.begin() + first);
  table_valid_ = std::min(table_valid_, first);
  if (first + static_cast<int64_t>(p.size()) > prefix_rows_)
    for (auto& valid : kr_valid_) valid = std::min(valid, std::max(first, prefix_rows_));
}

const RopeTable& KvCache::rope_table(const RopeParams& p) {
  if (table_valid_ < n_ || table_.size() != n_ || table_.half() != p.n_rot / 2) {
    const int64_t first = table_.half() == p.n_rot / 2 ? std::min(table_valid_, table_.size()) : 0;
    table_.update(p, positions(), first);
    table_valid_ = n_;
  }
  return table_;
}

const float* KvCache::rotated_k(int32_t layer, const RopeParams& p) {
  if (storage_ != KeyStorage::PreRope)
    throw std::logic_error("KvCache::rotated_k: the keys are stored after RoPE already");
  if (layer < 0 || layer >= n_layer_)
    throw std::out_of_range("KvCache::rotated_k: layer " + std::to_string(layer) + " of " +
                            std::to_string(n_layer_));
  if (kr_.empty()) {
    kr_.resize(static_cast<size_t>(n_layer_));
    for (auto& k : kr_) k.resize(static_cast<size_t>(capacity_ * row_floats()));
    kr_valid_.assign(static_cast<size_t>(n_layer_), prefix_rows_);
  }
  int64_t& valid = kr_valid_[static_cast<size_t>(layer)];
  float* base = kr_[static_cast<size_t>(layer)].data();
  if (valid < n_) {
    const RopeTable& table = rope_table(p);
    const float* src = k_[static_cast<size_t>(layer)].data();
    std::copy(src + stored(valid), src + stored(n_), base + stored(valid));
    rope_apply(p, table, valid, base + stored(valid), n_ - valid, n_head_kv_);
    valid = n_;
  }
  return base;
}

void KvCache::store_rows(int32_t layer, int64_t row, int64_t n, const float* k, const float* v) {
  if (layer < 0 || layer >= n_layer_ || row < prefix_rows_ || n < 0 || row + n > n_)
    throw std::out_of_range("KvCache::store_rows: layer " + std::to_string(layer) + ", rows [" +
                            std::to_string(row) + ", " + std::to_string(row + n) +
                            ") outside the stored rows");
  const int64_t count = n * row_floats();
  if (type_ == KvType::F32) {
    std::copy(k, k + count, this->k(layer, row));
    std::copy(v, v + count, this->v(layer, row));
    return;
  }
  simd::f32_to_f16_row(k, kh_[static_cast<size_t>(layer)].data() + stored(row), count);
  simd::f32_to_f16_row(v, vh_[static_cast<size_t>(layer)].data() + stored(row), count);
}

int64_t KvCache::bytes() const {
  const int64_t element = type_ == KvType::F16 ? 2 : 4;
  const int64_t rows = static_cast<int64_t>(n_layer_) * capacity_ * row_floats();
  return 2 * rows * element + (kr_.empty() ? 0 : rows * 4);
}

}  // namespace dbsa
