#pragma once
// Model tensors on the device: each host array (weight matrix, norm or bias vector) is uploaded at its
// first use and then found by its host address, so tied matrices (output = token_embd) are stored
// once and no weight crosses the bus twice.
#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "device_buffer.h"
#include "engine/weight_matrix.h"
#include "half_types.cuh"

namespace dbsa::cuda {

Elem elem_of(WeightType t);

// The GEMM of a 16-bit weight rounds activations to that type itself; any other rounding the engine
// asks for (quantized weights' 8-bit blocks, F16 rounding for expanded F32 weights) must be applied
// to the activations before they reach the device.
bool needs_host_rounding(const WeightMatrix& w);

class DeviceWeights {
 public:
  explicit DeviceWeights(cudaStream_t s) : stream_(s) {}
  // Device copy of w's elements ([rows][cols] of w.type).
  const void* matrix(const WeightMatrix& w);
  // Device copy of a float vector (norm weights, biases); null for an empty vector.
  const float* vector(const std::vector<float>& v);
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::shared_ptr<const void> owner;  // keeps the host data, and so its address, alive
    size_t bytes = 0;
    DeviceBuffer<std::byte> data;
  };
  const void* find_or_upload(const void* host, size_t bytes, std::shared_ptr<const void> owner);

  cudaStream_t stream_;
  std::map<const void*, Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace dbsa::cuda
