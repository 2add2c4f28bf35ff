// Block formats as defined by ggml (ggml-common.h). Each decoder walks one block at a time with plain
// loops; no allocation happens per block or element.
#include "model/dequantize.h"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

#include "model/iq4_nl_values.h"
#include "model/k_quant_scales.h"

namespace dbsa {
namespace {

constexpr int kQK = 256;  // super-block size of the K-quants

// Half floats are decoded through a table: one load instead of branches per weight.
const std::array<float, 65536>& f16_table() {
  static const auto table = [] {
    std::array<float, 65536> t{};
    for (uint32_t i = 0; i < 65536; ++i) t[i] = f16_to_f32(static_cast<uint16_t>(i));
    return t;
  }();
  return table;
}

inline float load_f16(const uint8_t* p, const std::array<float, 65536>& t) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return t[h];
}

void dq_q4_0(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 18, y += 32) {
    const float d = load_f16(b, t);
    const uint8_t* qs = b + 2;
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>((qs[j] & 0xf) - 8) * d;
      y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

void dq_q4_1(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 20, y += 32) {
    const float d = load_f16(b, t);
    const float m = load_f16(b + 2, t);
    const uint8_t* qs = b + 4;
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>(qs[j] & 0xf) * d + m;
      y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

// Q5_0/Q5_1: the fifth bit of element j (0..31) is bit j of the little-endian u32 qh.
void dq_q5(const uint8_t* b, float* y, int64_t nb, bool has_min, const std::array<float, 65536>& t) {
  const int stride = has_min ? 24 : 22;
  for (int64_t i = 0; i < nb; ++i, b += stride, y += 32) {
    const float d = load_f16(b, t);
    const float m = has_min ? load_f16(b + 2, t) : 0.0f;
    const uint8_t* qhp = b + (has_min ? 4 : 2);
    const uint32_t qh =
        uint32_t{qhp[0]} | uint32_t{qhp[1]} << 8 | uint32_t{qhp[2]} << 16 | uint32_t{qhp[3]} << 24;
    const uint8_t* qs = qhp + 4;
    const int offset = has_min ? 0 : 16;
    for (int j = 0; j < 16; ++j) {
      const int lo = (qs[j] & 0xf) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = static_cast<float>(lo - offset) * d + m;
      y[j + 16] = static_cast<float>(hi - offset) * d + m;
    }
  }
}

// Q8_0 (d, 32 int8) and Q8_1 (d, s, 32 int8): s is a precomputed sum used only by dot products.
void dq_q8(const uint8_t* b, float* y, int64_t nb, int header, const std::array<float, 65536>& t) {
  const int stride = header + 32;
  for (int64_t i = 0; i < nb; ++i, b += stride, y += 32) {
    const float d = load_f16(b, t);
    const auto* qs = reinterpret_cast<const int8_t*>(b + header);
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
  }
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2-bit), f16 d, f16 dmin.
void dq_q2_k(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 84) {
    const uint8_t* scales = b;
    const uint8_t* q = b + 16;
    const float d = load_f16(b + 80, t);
    const float dmin = load_f16(b + 82, t);
    int is = 0;
    for (int n = 0; n < kQK; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = scales[is++];
          const float dl = d * static_cast<float>(sc & 0xf);
          const float ml = dmin * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
        }
      }
    }
  }
}

// Q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit signed scales, offset 32), f16 d.
void dq_q3_k(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 110) {
    const uint8_t* hm = b;
    const uint8_t* q = b + 32;
    const uint8_t* s = b + 96;
    const float d = load_f16(b + 108, t);
    int32_t scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = q3_k_scale(j, s);
    int is = 0;
    uint8_t m = 1;
    for (int n = 0; n < kQK; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
        for (int half = 0; half < 2; ++half) {
          const float dl = d * static_cast<float>(scales[is++]);
          for (int l = 0; l < 16; ++l) {
            const int k = l + 16 * half;
            const int v = ((q[k] >> shift) & 3) - ((hm[k] & m) ? 0 : 4);
            *y++ = dl * static_cast<float>(v);
          }
        }
      }
    }
  }
}

// Q4_K: f16 d, f16 dmin, scales[12], qs[128]; each 64 elements use the low then the high nibbles of 32 bytes.
void dq_q4_k(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 144) {
    const float d = load_f16(b, t);
    const float dmin = load_f16(b + 2, t);
    const uint8_t* scales = b + 4;
    const uint8_t* q = b + 16;
    for (int j = 0, is = 0; j < kQK; j += 64, q += 32, is += 2) {
      int32_t sc, m;
      k_quant_scale_min(is, scales, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      k_quant_scale_min(is + 1, scales, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xf) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

// Q5_K: as Q4_K plus qh[32] giving the fifth bit (bit pair per 64-element group).
void dq_q5_k(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 176) {
    const float d = load_f16(b, t);
    const float dmin = load_f16(b + 2, t);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* ql = b + 48;
    unsigned u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < kQK; j += 64, ql += 32, is += 2, u1 <<= 2, u2 <<= 2) {
      int32_t sc, m;
      k_quant_scale_min(is, scales, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      k_quant_scale_min(is + 1, scales, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l)
        *y++ = d1 * static_cast<float>((ql[l] & 0xf) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l)
        *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
  }
}

// IQ4_NL: f16 d, qs[16]; value j is kIq4NlValues of the low nibble of qs[j] (j < 16) or the high nibble
// of qs[j-16], times d.
// 32 values from 16 bytes of IQ4 nibbles times the scale d.
void iq4_values_scaled(const uint8_t* qs, float d, float* y) {
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(kIq4NlValues[qs[j] & 0xf]);
    y[j + 16] = d * static_cast<float>(kIq4NlValues[qs[j] >> 4]);
  }
}

void dq_iq4_nl(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 18, y += 32) iq4_values_scaled(b + 2, load_f16(b, t), y);
}

// IQ4_XS: f16 d, u16 scales_h, scales_l[4], qs[128]; eight 32-value sub-blocks laid out as IQ4_NL's
// blocks, each scaled by d·iq4_xs_scale.
void dq_iq4_xs(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 136) {
    const float d = load_f16(b, t);
    uint16_t scales_h;
    std::memcpy(&scales_h, b + 2, 2);
    for (int s = 0; s < 8; ++s, y += 32)
      iq4_values_scaled(b + 8 + 16 * s, d * static_cast<float>(iq4_xs_scale(s, b + 4, scales_h)), y);
  }
}

// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d; values are q - 32.
void dq_q6_k(const uint8_t* b, float* y, int64_t nb, const std::array<float, 65536>& t) {
  for (int64_t i = 0; i < nb; ++i, b += 210) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
    const float d = load_f16(b + 208, t);
    for (int n = 0; n < kQK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is] * q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2] * q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4] * q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6] * q4);
      }
    }
  }
}

// Q8_K: f32 d, int8 qs[256], int16 bsums[16] (sums for dot products only).
void dq_q8_k(const uint8_t* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, b += 292, y += kQK) {
    float d;
    std::memcpy(&d, b, 4);
    const auto* qs = reinterpret_cast<const int8_t*>(b + 4);
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(qs[j]);
  }
}

}  // namespace

void dequantize(GgmlType type, const void* src, float* dst, int64_t n) {
  const auto info = ggml_type_info(static_cast<uint32_t>(type));
  if (!info || !info->dequantizable) {
    throw std::invalid_argument("dequantize: type " + std::string(ggml_type_name(type)) +
                                " is not supported");
  }
  if (n < 0 || n % info->block_elems != 0) {
    throw std::invalid_argument("dequantize: " + std::to_string(n) + " elements is not a multiple of the " +
                                std::string(info->name) + " block size " + std::to_string(info->block_elems));
  }
  const auto* b = static_cast<const uint8_t*>(src);
  const int64_t nb = n / info->block_elems;
  const auto& t = f16_table();
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = load_f16(b + 2 * i, t);
      return;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, b + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    case GgmlType::Q4_0:
      dq_q4_0(b, dst, nb, t);
      return;
    case GgmlType::Q4_1:
      dq_q4_1(b, dst, nb, t);
      return;
    case GgmlType::Q5_0:
      dq_q5(b, dst, nb, false, t);
      return;
    case GgmlType::Q5_1:
      dq_q5(b, dst, nb, true, t);
      return;
    case GgmlType::Q8_0:
      dq_q8(b, dst, nb, 2, t);
      return;
    case GgmlType::Q8_1:
      dq_q8(b, dst, nb, 4, t);
      return;
    case GgmlType::Q2_K:
      dq_q2_k(b, dst, nb, t);
      return;
    case GgmlType::Q3_K:
      dq_q3_k(b, dst, nb, t);
      return;
    case GgmlType::Q4_K:
      dq_q4_k(b, dst, nb, t);
      return;
    case GgmlType::Q5_K:
      dq_q5_k(b, dst, nb, t);
      return;
    case GgmlType::Q6_K:
      dq_q6_k(b, dst, nb, t);
      return;
    case GgmlType::Q8_K:
      dq_q8_k(b, dst, nb);
      return;
    case GgmlType::IQ4_NL:
      dq_iq4_nl(b, dst, nb, t);
      return;
    case GgmlType::IQ4_XS:
      dq_iq4_xs(b, dst, nb, t);
      return;
    default:
      break;
  }
  throw std::invalid_argument("dequantize: type " + std::string(info->name) + " has no decoder");
}

std::vector<float> dequantize_tensor(const GgufTensorInfo& t) {
  const auto info = ggml_type_info(static_cast<uint32_t>(t.type));
  if (!info || !info->dequantizable) {
    throw GgufError("tensor '" + t.name + "': cannot dequantize type " + std::string(ggml_type_name(t.type)) +
                    " (supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q2_K Q3_K Q4_K Q5_K Q6_K Q8_K "
                    "IQ4_NL IQ4_XS)");
  }
  if (t.data == nullptr) throw GgufError("tensor '" + t.name + "': has no data");
  std::vector<float> out(t.n_elements);
  dequantize(t.type, t.data, out.data(), static_cast<int64_t>(t.n_elements));
  return out;
}

}  // namespace dbsa
