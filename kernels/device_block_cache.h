#pragma once
// KV blocks of the persistent store (core/cache, memory-mapped) on the device. A block is uploaded
// once and kept while it is among the most recently used that fit the byte budget (LRU by bytes), so
// the blocks a workload keeps selecting — the sink block above all — stay resident across queries.
// Uploads go through two page-locked staging buffers: while the DMA engine copies one layer, the host
// decodes the next layer (F16/int8 to float, the store's own conversion) into the other buffer.
// CPU twin: BlockCache::assemble (the same concatenation into host memory).
#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <unordered_map>

#include "cache/block_cache.h"
#include "device_buffer.h"
#include "lru_by_bytes.h"

namespace dbsa::cuda {

class DeviceBlockCache {
 public:
  // `store` must outlive this object. All copies are issued on stream s.
  DeviceBlockCache(const BlockCache& store, size_t capacity_bytes, cudaStream_t s);
  ~DeviceBlockCache();
  DeviceBlockCache(const DeviceBlockCache&) = delete;
  DeviceBlockCache& operator=(const DeviceBlockCache&) = delete;

  // Makes every listed block resident (missing ones uploaded in the given order), evicting the least
  // recently used others as the budget requires; the listed blocks are the most recent afterwards.
  void load(std::span<const int32_t> blocks);

  // K and V of `layer` for the concatenation of `blocks` (loaded first when needed), written to device
  // arrays [total tokens][n_head_kv][head_dim] with device-to-device copies on the stream.
  void assemble(std::span<const int32_t> blocks, int32_t layer, float* k_dst, float* v_dst);

  int64_t block_tokens(int32_t block) const { return store_.block(block).n_tokens(); }
  size_t resident_bytes() const { return lru_.bytes(); }
  bool resident(int32_t block) const { return lru_.contains(block); }
  int64_t uploads() const { return uploads_; }  // blocks copied from the store so far

 private:
  size_t block_bytes(int32_t block) const;
  void upload(int32_t block);

  const BlockCache& store_;
  cudaStream_t stream_;
  LruByBytes<int32_t> lru_;
  std::unordered_map<int32_t, DeviceBuffer<float>> blocks_;  // [layer][K then V][n_tokens][row]
  PinnedBuffer<float> staging_[2];
  cudaEvent_t staged_[2] = {nullptr, nullptr};  // recorded after the copy out of each staging buffer
  int next_staging_ = 0;
  int64_t uploads_ = 0;
};

}  // namespace dbsa::cuda
