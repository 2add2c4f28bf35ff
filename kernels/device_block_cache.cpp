#include "device_block_cache.h"

#include <string>
#include <unordered_set>

namespace dbsa::cuda {

DeviceBlockCache::DeviceBlockCache(const BlockCache& store, size_t capacity_bytes, cudaStream_t s)
    : store_(store), stream_(s), lru_(capacity_bytes) {
  for (auto& e : staged_) DBSA_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
}

DeviceBlockCache::~DeviceBlockCache() {
  // Copies may still read the staging buffers: finish them before the buffers are freed.
  cudaStreamSynchronize(stream_);
  for (auto& e : staged_)
    if (e) cudaEventDestroy(e);
}

size_t DeviceBlockCache::block_bytes(int32_t block) const {
  const KvShape& s = store_.shape();
  return 2 * static_cast<size_t>(s.n_layer) * store_.block(block).n_tokens() * s.row() * sizeof(float);
}

void DeviceBlockCache::upload(int32_t block) {
  const KvShape& s = store_.shape();
  const BlockView view = store_.view(block);  // verifies the checksum first (lazy caches)
  const size_t layer_floats = static_cast<size_t>(view.n_tokens()) * s.row();
  DeviceBuffer<float> dev(2 * static_cast<size_t>(s.n_layer) * layer_floats);
  for (int32_t layer = 0; layer < s.n_layer; ++layer) {
    const int slot = next_staging_;
    next_staging_ ^= 1;
    // Wait only for the copy that last read this buffer; the other one may still be in flight.
    DBSA_CUDA_CHECK(cudaEventSynchronize(staged_[slot]));
    staging_[slot].resize(2 * layer_floats);
    float* host = staging_[slot].data();
    view.read_k(layer, host);
    view.read_v(layer, host + layer_floats);
    DBSA_CUDA_CHECK(cudaMemcpyAsync(dev.data() + 2 * layer * layer_floats, host,
                                    2 * layer_floats * sizeof(float), cudaMemcpyHostToDevice, stream_));
    DBSA_CUDA_CHECK(cudaEventRecord(staged_[slot], stream_));
  }
  blocks_[block] = std::move(dev);
  lru_.insert(block, block_bytes(block));
  ++uploads_;
}

void DeviceBlockCache::load(std::span<const int32_t> blocks) {
  const std::unordered_set<int32_t> keep(blocks.begin(), blocks.end());
  for (int32_t b : blocks) {
    if (lru_.touch(b)) continue;
    store_.block(b);  // throws CacheError for an index out of range, before anything is evicted
    for (int32_t victim : lru_.victims_for(block_bytes(b), keep)) {
      lru_.erase(victim);
      blocks_.erase(victim);  // cudaFree waits for work still using the buffer
    }
    upload(b);
  }
  // The request's blocks become the most recent, in its order (a repeated block counts once).
  for (int32_t b : blocks) lru_.touch(b);
}

void DeviceBlockCache::assemble(std::span<const int32_t> blocks, int32_t layer, float* k_dst, float* v_dst) {
  const KvShape& s = store_.shape();
  if (layer < 0 || layer >= s.n_layer)
    throw std::out_of_range("DeviceBlockCache::assemble: layer " + std::to_string(layer) + " outside [0, " +
                            std::to_string(s.n_layer) + ")");
  load(blocks);
  size_t offset = 0;
  for (int32_t b : blocks) {
    const size_t layer_floats = static_cast<size_t>(store_.block(b).n_tokens()) * s.row();
    const float* src = blocks_.at(b).data() + 2 * static_cast<size_t>(layer) * layer_floats;
    DBSA_CUDA_CHECK(cudaMemcpyAsync(k_dst + offset, src, layer_floats * sizeof(float),
                                    cudaMemcpyDeviceToDevice, stream_));
    DBSA_CUDA_CHECK(cudaMemcpyAsync(v_dst + offset, src + layer_floats, layer_floats * sizeof(float),
                                    cudaMemcpyDeviceToDevice, stream_));
    offset += layer_floats;
  }
}

}  // namespace dbsa::cuda
