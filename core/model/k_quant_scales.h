#pragma once
// The 12 packed bytes of a Q4_K/Q5_K block hold 8 six-bit scales and 8 six-bit mins, those of a Q3_K block
// sixteen six-bit signed scales. One decoder each for the dequantizer (model/dequantize.cpp) and the
// integer kernels (engine/quant_kernels.cpp); header-only so the kernels' per-block calls inline.
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

// Q3_K's scale of 16-value sub-block j (0..15), -32..31: low 4 bits from the nibbles of bytes 0..7 (low
// nibbles for j < 8), high 2 bits from bytes 8..11.
inline int32_t q3_k_scale(int j, const uint8_t* q) {
  const int32_t low = j < 8 ? (q[j] & 0xf) : (q[j - 8] >> 4);
  const int32_t high = (q[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | high << 4) - 32;
}

}  // namespace dbsa
