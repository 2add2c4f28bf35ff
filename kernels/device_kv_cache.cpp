#include "device_kv_cache.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dbsa::cuda {

DeviceKvCache::DeviceKvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim, KeyStorage storage,
                             cudaStream_t s)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), storage_(storage), stream_(s) {
  if (n_layer <= 0 || n_head_kv <= 0 || head_dim <= 0)
    throw std::invalid_argument("DeviceKvCache: layer, head and head_dim counts must be positive");
  k_.resize(static_cast<size_t>(n_layer));
  v_.resize(static_cast<size_t>(n_layer));
}

void DeviceKvCache::reserve(int64_t rows) {
  if (rows <= capacity_) return;
  const int64_t cap = std::max(rows, capacity_ + capacity_ / 2);
  const auto old_bytes = static_cast<size_t>(size() * row_floats()) * sizeof(float);
  for (auto* layers : {&k_, &v_})
    for (auto& buf : *layers) {
      DeviceBuffer<float> grown(static_cast<size_t>(cap * row_floats()));
      if (old_bytes)
        DBSA_CUDA_CHECK(
            cudaMemcpyAsync(grown.data(), buf.data(), old_bytes, cudaMemcpyDeviceToDevice, stream_));
      // The old buffer is freed by cudaFree, which waits for the copy still reading it.
      buf = std::move(grown);
    }
  capacity_ = cap;
}

int64_t DeviceKvCache::append(std::span<const int32_t> positions) {
  const int64_t first = size();
  reserve(first + static_cast<int64_t>(positions.size()));
  positions_.insert(positions_.end(), positions.begin(), positions.end());
  return first;
}

void DeviceKvCache::truncate(int64_t n) {
  if (n < 0 || n > size())
    throw std::out_of_range("DeviceKvCache::truncate: " + std::to_string(n) + " outside [0, " +
                            std::to_string(size()) + "]");
  positions_.resize(static_cast<size_t>(n));
  table_valid_ = std::min(table_valid_, n);
}

const float* DeviceKvCache::key_cos(const RopeParams& rope) {
  const int32_t half = rope.n_rot / 2;
  if (half != half_) table_valid_ = 0;
  const int64_t n = size();
  if (table_valid_ < n || cos_sin_rows_ < n) {
    table_.update(rope, positions_, std::min(table_valid_, table_.size()));
    half_ = half;
    int64_t first = table_valid_;
    // cos rows then sin rows, cos_sin_rows_ each: more rows (or wider rows) move the sin half, and a
    // grown buffer starts empty, so every row is copied again.
    if (cos_sin_rows_ < n) {
      cos_sin_rows_ = std::max<int64_t>(n, 2 * cos_sin_rows_);
      first = 0;
    }
    if (static_cast<size_t>(2 * cos_sin_rows_ * half) > cos_sin_.size()) {
      cos_sin_.resize(static_cast<size_t>(2 * cos_sin_rows_ * half));
      first = 0;
    }
    const auto bytes = static_cast<size_t>((n - first) * half) * sizeof(float);
    if (bytes) {
      DBSA_CUDA_CHECK(cudaMemcpyAsync(cos_sin_.data() + first * half, table_.cos_row(first), bytes,
                                      cudaMemcpyHostToDevice, stream_));
      DBSA_CUDA_CHECK(cudaMemcpyAsync(cos_sin_.data() + (cos_sin_rows_ + first) * half, table_.sin_row(first),
                                      bytes, cudaMemcpyHostToDevice, stream_));
    }
    table_valid_ = n;
  }
  return cos_sin_.data();
}

void DeviceKvCache::read_rows(int32_t layer, int64_t first, int64_t n, float* k_host, float* v_host) {
  if (first < 0 || first + n > size())
    throw std::out_of_range("DeviceKvCache::read_rows: rows outside the cache");
  const auto bytes = static_cast<size_t>(n * row_floats()) * sizeof(float);
  DBSA_CUDA_CHECK(cudaMemcpyAsync(k_host, k(layer, first), bytes, cudaMemcpyDeviceToHost, stream_));
  DBSA_CUDA_CHECK(cudaMemcpyAsync(v_host, v(layer, first), bytes, cudaMemcpyDeviceToHost, stream_));
  DBSA_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace dbsa::cuda
