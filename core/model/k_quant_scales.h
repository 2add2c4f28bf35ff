#pragma once
// The 12 packed bytes of a Q4_K/Q5_K block hold 8 six-bit scales and 8 six-bit mins. One decoder for the
// dequantizer (model/dequantize.cpp) and the integer kernels (engine/quant_kernels.cpp); header-only so
// the kernels' per-block calls inline.
#include <cstdint>

namespace dbsa {

// Scale and min of sub-block j (0..7).
inline void k_quant_scale_min(int j, const uint8_t* q, int32_t& sc, int32_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

}  // namespace dbsa
