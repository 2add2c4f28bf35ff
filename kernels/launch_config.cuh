#pragma once
// Grid sizes shared by the element-wise kernels: grid-stride loops over 64-bit counts, so one launch
// covers any size and the grid never exceeds what a device runs at once.
#include <algorithm>
#include <cstdint>

namespace dbsa::cuda {

inline constexpr int kElementwiseThreads = 256;

inline unsigned elementwise_blocks(int64_t n) {
  // 65535 blocks of 256 threads keep every SM of the largest supported GPUs busy; the loop covers the rest.
  return static_cast<unsigned>(
      std::clamp<int64_t>((n + kElementwiseThreads - 1) / kElementwiseThreads, 1, 65535));
}

}  // namespace dbsa::cuda
