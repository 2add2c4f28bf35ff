#pragma once
// 16-bit element types as the kernels name them (the engine's WeightType without its C++20 header).
#include <cstdint>

namespace dbsa::cuda {

enum class Elem : int32_t { F32, F16, BF16 };

inline int64_t elem_bytes(Elem e) {
  return e == Elem::F32 ? 4 : 2;
}

}  // namespace dbsa::cuda
