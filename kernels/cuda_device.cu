#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda_device.h"

namespace dbsa::cuda {

std::vector<DeviceInfo> list_devices(std::string* why) {
  std::vector<DeviceInfo> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why) *why = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back({i, prop.name, prop.major, prop.minor, prop.totalGlobalMem, prop.multiProcessorCount});
  }
  if (out.empty() && why) *why = "no CUDA device";
  return out;
}

bool cublas_smoke_test(std::string* why) {
  if (list_devices(why).empty()) return false;
  cublasHandle_t handle = nullptr;
  cublasStatus_t st = cublasCreate(&handle);
  if (st != CUBLAS_STATUS_SUCCESS) {
    if (why) *why = std::string("cublasCreate failed: ") + cublasGetStatusString(st);
    return false;
  }
  cublasDestroy(handle);
  return true;
}

}  // namespace dbsa::cuda
