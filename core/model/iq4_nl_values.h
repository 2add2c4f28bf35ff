#pragma once
// The sixteen weights a 4-bit index of the IQ4_NL and IQ4_XS formats stands for (a non-linear grid,
// denser near zero; the ggml format's definition). One table for the dequantizer (model/dequantize.cpp)
// and the integer kernels (engine/quant_kernels.cpp), which look it up sixteen bytes at a time.
#include <cstdint>

namespace dbsa {

alignas(16) inline constexpr int8_t kIq4NlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                        1,    13,   25,  38,  53,  69,  89,  113};

// IQ4_XS's 6-bit scale of 32-value sub-block j (0..7), -32..31: the low 4 bits from nibble j of scales_l
// (low nibbles first), the high 2 from bits 2j, 2j+1 of scales_h.
inline int32_t iq4_xs_scale(int j, const uint8_t* scales_l, uint16_t scales_h) {
  return (((scales_l[j / 2] >> (4 * (j % 2))) & 0xf) | (((scales_h >> (2 * j)) & 3) << 4)) - 32;
}

}  // namespace dbsa
