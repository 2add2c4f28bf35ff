#pragma once
// The Llama forward pass with everything on the device: weights uploaded once, activations and the
// KV cache in device memory, all work on one stream, and only token ids in and logits out crossing
// the bus. It mirrors LlamaModel::forward (core/engine/llama_model.cpp) step for step with the CUDA
// kernels, and its CPU twin is that function: the tests compare their logits. One difference by design:
// activations meet 16-bit weights rounded to that type and F32 weights unrounded; the engine's 8-bit
// activation rounding for quantized models (Q8_0/Q8_K) is not reproduced on the device, so quantized
// models agree with the CPU to the quantized tolerance only. Plain C++ header.
#include <cstdint>
#include <memory>

#include "engine/forward_runner.h"
#include "engine/llama_model.h"

namespace dbsa {
class BlockCache;
}

namespace dbsa::cuda {

class CudaForward final : public ForwardRunner {
 public:
  // Uploads the weights of `model`, which must outlive this object. Throws std::runtime_error when
  // no device is usable. The KV cache starts empty with the given key storage.
  explicit CudaForward(const LlamaModel& model, KeyStorage storage = KeyStorage::PostRope, int device = 0);
  ~CudaForward() override;
  CudaForward(const CudaForward&) = delete;
  CudaForward& operator=(const CudaForward&) = delete;

  // Runs the request like LlamaModel::forward, appending its K/V to the device cache. Supports
  // tokens, positions, layout, logits (None/Last/All, on_logits) and ubatch; attention capture and
  // hidden-state callbacks are CPU-only and rejected with std::invalid_argument.
  ForwardResult forward(const ForwardRequest& req) override;

  // Serves append_blocks from `store` (which must outlive this object), keeping up to capacity_bytes
  // of its blocks on the device (see device_block_cache.h).
  void attach_store(const BlockCache& store, size_t capacity_bytes);
  // Appends the concatenation of stored blocks (pre-RoPE keys, as the store keeps them) to the device
  // cache at the given positions, one per token — DBSA's assembly of the selected blocks. Needs a
  // PreRope cache and an attached store.
  void append_blocks(std::span<const int32_t> blocks, std::span<const int32_t> positions);

  int64_t cache_size() const override;
  void truncate_cache(int64_t n) override;
  // Copies layer's K and V rows [first, first + n) to host arrays [n][n_head_kv][head_dim].
  void read_kv(int32_t layer, int64_t first, int64_t n, float* k, float* v);
  // Device time of the work issued between start() and stop_seconds() (CUDA events).
  std::unique_ptr<DeviceTimer> device_timer() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsa::cuda
