#pragma once
// A whole forward pass that a device backend runs in its own memory (weights uploaded once, KV cache
// and activations resident), for callers that need only logits — benchmarks first. LlamaModel::forward
// on the CPU backend is its twin. Backends that have one register it by name in backend_registry.h.
#include <cstdint>
#include <memory>

#include "engine/device_timer.h"
#include "engine/forward_contract.h"

namespace dbsa {

class ForwardRunner {
 public:
  virtual ~ForwardRunner() = default;
  // Like LlamaModel::forward with the runner's own KV cache (appended to).
  virtual ForwardResult forward(const ForwardRequest& req) = 0;
  virtual int64_t cache_size() const = 0;
  virtual void truncate_cache(int64_t n) = 0;
  // The device clock of the work the runner issues.
  virtual std::unique_ptr<DeviceTimer> device_timer() = 0;
};

}  // namespace dbsa
