#include "model/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "model/dequantize.h"

namespace dbsa {
namespace {

void put_u16(std::byte* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}

void quantize_q8_0(const float* x, std::byte* out, size_t nb) {
  for (size_t i = 0; i < nb; ++i, x += 32, out += 34) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_u16(out, f32_to_f16(d));
    for (int j = 0; j < 32; ++j) {
      out[2 + j] = static_cast<std::byte>(static_cast<int8_t>(std::lround(x[j] * id)));
    }
  }
}

void quantize_q4_0(const float* x, std::byte* out, size_t nb) {
  for (size_t i = 0; i < nb; ++i, x += 32, out += 18) {
    // The value of largest magnitude maps to -8 so its sign uses the asymmetric end of [-8, 7].
    float amax = 0.0f, vmax = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        vmax = x[j];
      }
    }
    const float d = vmax / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_u16(out, f32_to_f16(d));
    for (int j = 0; j < 16; ++j) {
      const auto q0 = static_cast<uint8_t>(std::min(15L, std::max(0L, std::lround(x[j] * id) + 8)));
      const auto q1 = static_cast<uint8_t>(std::min(15L, std::max(0L, std::lround(x[j + 16] * id) + 8)));
      out[2 + j] = static_cast<std::byte>(q0 | (q1 << 4));
    }
  }
}

}  // namespace

std::vector<std::byte> quantize(GgmlType type, std::span<const float> values) {
  const uint64_t n = values.size();
  const uint64_t bytes = ggml_row_size(type, n);  // validates the block multiple
  std::vector<std::byte> out(bytes);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(out.data(), values.data(), bytes);
      return out;
    case GgmlType::F16:
      for (uint64_t i = 0; i < n; ++i) put_u16(out.data() + 2 * i, f32_to_f16(values[i]));
      return out;
    case GgmlType::BF16:
      for (uint64_t i = 0; i < n; ++i) put_u16(out.data() + 2 * i, f32_to_bf16(values[i]));
      return out;
    case GgmlType::Q8_0:
      quantize_q8_0(values.data(), out.data(), n / 32);
      return out;
    case GgmlType::Q4_0:
      quantize_q4_0(values.data(), out.data(), n / 32);
      return out;
    default:
      break;
  }
  throw std::invalid_argument("quantize: writing type " + std::string(ggml_type_name(type)) +
                              " is not supported (F32, F16, BF16, Q8_0, Q4_0)");
}

}  // namespace dbsa
