#pragma once
// Projections y[n][rows] = x[n][cols] · Wᵀ with cuBLAS, the device twin of dbsa::matmul
// (core/engine/matmul.h). F32 weights use an FP32 GEMM (no TF32: the CPU twin is exact FP32);
// F16/BF16 weights use tensor cores with FP32 accumulation, the activations rounded to the weight's
// type first (the engine rounds them the same way to match the reference implementation).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "device_buffer.h"
#include "half_types.cuh"

namespace dbsa::cuda {

class CublasGemm {
 public:
  // The handle issues all its work on stream s. Throws when cuBLAS cannot start (no device).
  explicit CublasGemm(cudaStream_t s);
  ~CublasGemm();
  CublasGemm(const CublasGemm&) = delete;
  CublasGemm& operator=(const CublasGemm&) = delete;

  // x, y: device floats; w: device [rows][cols] of wtype (row-major, GGUF's layout).
  void run(const float* x, int64_t n, const void* w, Elem wtype, int64_t rows, int64_t cols, float* y);

 private:
  cublasHandle_t handle_ = nullptr;
  cudaStream_t stream_ = nullptr;
  DeviceBuffer<uint16_t> x16_;  // activations rounded to 16 bits
};

}  // namespace dbsa::cuda
