#pragma once
// Device discovery for the CUDA backend. Plain C++ interface so callers need no CUDA headers.
#include <string>
#include <vector>

namespace dbsa::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0;
  int cc_minor = 0;
  size_t total_memory = 0;
  int multiprocessors = 0;
};

// Devices the runtime can use. Any runtime error (no driver, no device) yields an empty list and, if
// given, the runtime's message in *why: without a GPU cudaGetDeviceCount fails with "insufficient
// driver", which for us simply means "no device".
std::vector<DeviceInfo> list_devices(std::string* why = nullptr);

// Makes `device` current for the calling thread and returns its description. Throws
// std::runtime_error starting with `who` ("CUDA backend: no usable CUDA device (<runtime message>)")
// when there is no such device.
DeviceInfo use_device(int device, const std::string& who);

// Creates and destroys a cuBLAS handle on device 0; returns false with the reason when it cannot.
bool cublas_smoke_test(std::string* why = nullptr);

}  // namespace dbsa::cuda
