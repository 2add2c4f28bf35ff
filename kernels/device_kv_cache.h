#pragma once
// The device twin of dbsa::KvCache (core/engine/kv_cache.h): K and V of every layer in device memory,
// the RoPE positions on the host, and — for pre-RoPE keys — the cos/sin rows of every stored position
// mirrored to the device so attention rotates keys as it reads them. The rows are computed by the
// engine's RopeTable, so positions mean exactly what they mean on the CPU.
#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <vector>

#include "device_buffer.h"
#include "engine/kv_cache.h"
#include "engine/rope.h"

namespace dbsa::cuda {

class DeviceKvCache {
 public:
  DeviceKvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim, KeyStorage storage, cudaStream_t s);

  int32_t n_layer() const { return n_layer_; }
  int64_t row_floats() const { return static_cast<int64_t>(n_head_kv_) * head_dim_; }
  KeyStorage storage() const { return storage_; }
  int64_t size() const { return static_cast<int64_t>(positions_.size()); }
  std::span<const int32_t> positions() const { return positions_; }

  // Appends rows with these positions (content written by the caller); returns the first new row.
  int64_t append(std::span<const int32_t> positions);
  void truncate(int64_t n);

  float* k(int32_t layer, int64_t row) { return k_[static_cast<size_t>(layer)].data() + row * row_floats(); }
  float* v(int32_t layer, int64_t row) { return v_[static_cast<size_t>(layer)].data() + row * row_floats(); }

  // Pre-RoPE keys: device cos/sin rows [size()][n_rot/2] for rope, brought up to date first.
  const float* key_cos(const RopeParams& rope);
  const float* key_sin() const { return cos_sin_.data() + cos_sin_rows_ * half_; }

  // Copies rows [first, first + n) of a layer to host arrays [n][n_head_kv][head_dim].
  void read_rows(int32_t layer, int64_t first, int64_t n, float* k_host, float* v_host);

 private:
  void reserve(int64_t rows);

  int32_t n_layer_, n_head_kv_, head_dim_;
  KeyStorage storage_;
  cudaStream_t stream_;
  int64_t capacity_ = 0;
  std::vector<DeviceBuffer<float>> k_, v_;
  std::vector<int32_t> positions_;
  RopeTable table_;
  int64_t table_valid_ = 0;      // leading rows of table_ (and the device copy) that match positions_
  DeviceBuffer<float> cos_sin_;  // cos rows then sin rows, cos_sin_rows_ each
  int64_t cos_sin_rows_ = 0;
  int32_t half_ = 0;
};

}  // namespace dbsa::cuda
