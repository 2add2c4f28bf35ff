#include <gtest/gtest.h>

#include "cuda_device.h"

namespace {

TEST(CudaDevice, ListsDevicesOrSkips) {
  std::string why;
  auto devices = dbsa::cuda::list_devices(&why);
  if (devices.empty()) GTEST_SKIP() << "no CUDA device: " << why;
  for (const auto& d : devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.total_memory, 0u);
    EXPECT_GE(d.cc_major, 7);
  }
}

TEST(CudaDevice, CublasHandle) {
  std::string why;
  if (dbsa::cuda::list_devices(&why).empty()) GTEST_SKIP() << "no CUDA device: " << why;
  EXPECT_TRUE(dbsa::cuda::cublas_smoke_test(&why)) << why;
}

}  // namespace
