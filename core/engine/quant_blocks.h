#pragma once
// ggml's weight block layouts: the GGUF file's bytes of a quantized matrix, read in place through these
// by every kernel family (engine/quant_kernels.cpp, engine/quant_kernels_amx.cpp). Q8_0 weights have the
// layout of Q8_0 activation blocks (BlockQ8_0, engine/quant_kernels.h).
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "engine/quant_kernels.h"
#include "model/iq4_nl_values.h"
#include "model/k_quant_scales.h"

namespace dbsa {

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];  // value j: low nibble of qs[j] (j < 16) or high nibble of qs[j-16], minus 8
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];   // bit j of the little-endian u32: bit 4 of value j
  uint8_t qs[16];  // nibbles as in Q4_0; value = (nibble | fifth bit << 4) - 16
};
struct BlockQ4_1 {
  uint16_t d, m;   // value j: d·q + m
  uint8_t qs[16];  // q: nibbles as in Q4_0, unsigned
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];   // bit 4 of q, as in Q5_0
  uint8_t qs[16];  // low 4 bits of q, as in Q4_0; value d·q + m
};
// The 32-value formats with a min per block (Q4_1, Q5_1) meet Q8_1 activation blocks, the others Q8_0.
template <class Block>
constexpr bool kBlockHasMin = std::is_same_v<Block, BlockQ4_1> || std::is_same_v<Block, BlockQ5_1>;
template <class Block>
using ActivationBlockOf = std::conditional_t<kBlockHasMin<Block>, BlockQ8_1, BlockQ8_0>;

struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 six-bit scales and mins (model/k_quant_scales.h)
  uint8_t qs[128];     // each 64 values: low nibbles of 32 bytes, then their high nibbles
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];  // fifth bit: bit 2c (low nibbles) and 2c+1 (high nibbles) of qh[l] for 64-value chunk c
  uint8_t qs[128];
};
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[16];  // value j: kIq4NlValues of the low nibble of qs[j] (j < 16) or the high one of qs[j-16]
};
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[4];  // with scales_h: iq4_xs_scale (model/iq4_nl_values.h)
  uint8_t qs[128];      // 32-value sub-block s: qs[16s..16s+15], laid out as an IQ4_NL block's
};
// Value 128h + 32g + l (half h, group g, l < 32): bits 2g, 2g+1 of qs[32h + l]; 16-value sub-block
// j = 8h + 2g + l/16 weighs d·(scales[j] & 15)·value - dmin·(scales[j] >> 4).
struct BlockQ2_K {
  uint8_t scales[16];
  uint8_t qs[64];
  uint16_t d, dmin;
};
// Value 128h + 32g + l: bits 2g, 2g+1 of qs[32h + l], minus 4 unless bit 4h + g of hmask[l] is set;
// sub-block j scaled by q3_k_scale(j) (model/k_quant_scales.h).
struct BlockQ3_K {
  uint8_t hmask[32];
  uint8_t qs[64];
  uint8_t scales[12];
  uint16_t d;
};
struct BlockQ6_K {
  uint8_t ql[128];  // low 4 bits
  uint8_t qh[64];   // high 2 bits
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ5_0) == 22 && sizeof(BlockQ4_K) == 144 &&
                  sizeof(BlockQ5_K) == 176 && sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 &&
                  sizeof(BlockQ6_K) == 210 && sizeof(BlockIQ4_NL) == 18 && sizeof(BlockIQ4_XS) == 136 &&
                  sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_1) == 24,
              "ggml's block layouts");

// The K-quants with 16-value sub-blocks (Q6_K, Q3_K, Q2_K), read one value at a time (the portable
// kernels): value 128h + 32g + l of a block as the weight's integer, and the sixteen sub-block scales.
inline int32_t sub_block_value(const BlockQ6_K& b, int h, int g, int l) {
  const uint8_t* ql = b.ql + 64 * h;  // bits of ql[l] or ql[l+32], qh bit pair g
  const int32_t low = (g & 1 ? ql[l + 32] : ql[l]) >> (g & 2 ? 4 : 0) & 0xf;
  return (low | ((b.qh[32 * h + l] >> (2 * g)) & 3) << 4) - 32;
}
inline int32_t sub_block_value(const BlockQ2_K& b, int h, int g, int l) {
  return (b.qs[32 * h + l] >> (2 * g)) & 3;
}
inline int32_t sub_block_value(const BlockQ3_K& b, int h, int g, int l) {
  return ((b.qs[32 * h + l] >> (2 * g)) & 3) - ((b.hmask[l] >> (4 * h + g)) & 1 ? 0 : 4);
}
inline void sub_block_scales(const BlockQ6_K& b, int32_t* sc) {
  for (int j = 0; j < 16; ++j) sc[j] = b.scales[j];
}
inline void sub_block_scales(const BlockQ2_K& b, int32_t* sc) {
  for (int j = 0; j < 16; ++j) sc[j] = b.scales[j] & 0xf;
}
inline void sub_block_scales(const BlockQ3_K& b, int32_t* sc) {
  for (int j = 0; j < 16; ++j) sc[j] = q3_k_scale(j, b.scales);
}

// The 32-value formats as bytes in value order: signed (Q8_0, Q4_0, Q5_0, IQ4_NL), or Q4_1's and Q5_1's
// unsigned q below 32. Value j of 16 bytes of nibbles: the low nibble of byte j (j < 16), else the high
// nibble of byte j - 16; the fifth bit of value j is bit j of the four qh bytes.
inline void nibble_values(const uint8_t* qs, int8_t* q) {
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>(qs[j] & 0xf);
    q[j + 16] = static_cast<int8_t>(qs[j] >> 4);
  }
}
inline void five_bit_values(const uint8_t* qs, const uint8_t* qh_bytes, int8_t* q) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  nibble_values(qs, q);
  for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(q[j] | ((qh >> j) & 1) << 4);
}
inline void values(const BlockQ8_0& b, int8_t* q) {
  std::memcpy(q, b.qs, 32);
}
inline void values(const BlockQ4_0& b, int8_t* q) {
  nibble_values(b.qs, q);
  for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(q[j] - 8);
}
inline void values(const BlockQ5_0& b, int8_t* q) {
  five_bit_values(b.qs, b.qh, q);
  for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(q[j] - 16);
}
inline void values(const BlockQ4_1& b, int8_t* q) {
  nibble_values(b.qs, q);
}
inline void values(const BlockQ5_1& b, int8_t* q) {
  five_bit_values(b.qs, b.qh, q);
}
// IQ4_NL's sixteen bytes of nibbles (an IQ4_XS sub-block's too) as their 32 values.
inline void iq4_values(const uint8_t* qs, int8_t* q) {
  nibble_values(qs, q);
  for (int j = 0; j < 32; ++j) q[j] = kIq4NlValues[q[j]];
}
inline void values(const BlockIQ4_NL& b, int8_t* q) {
  iq4_values(b.qs, q);
}

}  // namespace dbsa
