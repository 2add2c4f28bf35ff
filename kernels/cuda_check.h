#pragma once
// Error handling for the CUDA runtime and cuBLAS: every failing call becomes a std::runtime_error that
// names the source line and the call, so a user with a GPU can report exactly what failed.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace dbsa::cuda {

inline void check(cudaError_t err, const char* call, const char* file, int line) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                           cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

inline void check(cublasStatus_t st, const char* call, const char* file, int line) {
  if (st == CUBLAS_STATUS_SUCCESS) return;
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                           cublasGetStatusName(st) + " (" + cublasGetStatusString(st) + ")");
}

}  // namespace dbsa::cuda

// A macro (not a function) so the message carries the caller's file, line and the call's text.
#define DBSA_CUDA_CHECK(call) ::dbsa::cuda::check((call), #call, __FILE__, __LINE__)
// Kernel launches report configuration errors through cudaGetLastError, not a return value.
#define DBSA_CUDA_CHECK_LAUNCH() ::dbsa::cuda::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
