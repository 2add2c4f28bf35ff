#pragma once
// Owning CUDA allocations: device memory (cudaMalloc; never managed memory, so every host<->device copy
// is explicit) and page-locked host memory (the only kind cudaMemcpyAsync copies without a hidden
// synchronous staging copy).
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.h"

namespace dbsa::cuda {

struct DeviceMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    DBSA_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { cudaFree(p); }
};

struct PinnedHostMemory {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    DBSA_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { cudaFreeHost(p); }
};

template <class T, class Memory>
class CudaBuffer {
 public:
  CudaBuffer() = default;
  explicit CudaBuffer(size_t n) { resize(n); }
  CudaBuffer(const CudaBuffer&) = delete;
  CudaBuffer& operator=(const CudaBuffer&) = delete;
  CudaBuffer(CudaBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  CudaBuffer& operator=(CudaBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~CudaBuffer() { reset(); }

  // Makes room for n elements. Contents are not preserved when the buffer grows: these are scratch
  // buffers refilled by every call, and a copy would cost a device round trip for nothing.
  void resize(size_t n) {
    if (n <= n_) return;
    reset();
    p_ = static_cast<T*>(Memory::allocate(n * sizeof(T)));
    n_ = n;
  }
  void reset() noexcept {
    if (p_) Memory::release(p_);  // a failure here stems from an earlier error, already reported
    p_ = nullptr;
    n_ = 0;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

template <class T>
using DeviceBuffer = CudaBuffer<T, DeviceMemory>;
template <class T>
using PinnedBuffer = CudaBuffer<T, PinnedHostMemory>;

}  // namespace dbsa::cuda
