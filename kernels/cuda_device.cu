#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>

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

DeviceInfo use_device(int device, const std::string& who) {
  std::string why;
  const auto devices = list_devices(&why);
  if (devices.empty()) throw std::runtime_error(who + ": no usable CUDA device (" + why + ")");
  if (device < 0 || device >= static_cast<int>(devices.size()))
    throw std::runtime_error(who + ": device " + std::to_string(device) + " does not exist (" +
                             std::to_string(devices.size()) + " found)");
  const cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess)
    throw std::runtime_error(who + ": cudaSetDevice(" + std::to_string(device) +
                             "): " + cudaGetErrorString(err));
  return devices[static_cast<size_t>(device)];
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
