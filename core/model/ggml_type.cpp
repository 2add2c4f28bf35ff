#include "model/ggml_type.h"

#include <array>
#include <stdexcept>
#include <string>

namespace dbsa {
namespace {

struct Entry {
  GgmlType type;
  GgmlTypeInfo info;
};

// Block geometry from the ggml block structs (ggml-common.h): e.g. Q4_K is 2 f16 + 12 scale bytes +
// 128 nibble bytes = 144 bytes per 256 elements.
constexpr std::array<Entry, 22> kTypes{{
    {GgmlType::F32, {"F32", 1, 4, true}},         {GgmlType::F16, {"F16", 1, 2, true}},
    {GgmlType::Q4_0, {"Q4_0", 32, 18, true}},     {GgmlType::Q4_1, {"Q4_1", 32, 20, true}},
    {GgmlType::Q5_0, {"Q5_0", 32, 22, true}},     {GgmlType::Q5_1, {"Q5_1", 32, 24, true}},
    {GgmlType::Q8_0, {"Q8_0", 32, 34, true}},     {GgmlType::Q8_1, {"Q8_1", 32, 36, true}},
    {GgmlType::Q2_K, {"Q2_K", 256, 84, true}},    {GgmlType::Q3_K, {"Q3_K", 256, 110, true}},
    {GgmlType::Q4_K, {"Q4_K", 256, 144, true}},   {GgmlType::Q5_K, {"Q5_K", 256, 176, true}},
    {GgmlType::Q6_K, {"Q6_K", 256, 210, true}},   {GgmlType::Q8_K, {"Q8_K", 256, 292, true}},
    {GgmlType::IQ4_NL, {"IQ4_NL", 32, 18, true}}, {GgmlType::IQ4_XS, {"IQ4_XS", 256, 136, true}},
    {GgmlType::I8, {"I8", 1, 1, false}},          {GgmlType::I16, {"I16", 1, 2, false}},
    {GgmlType::I32, {"I32", 1, 4, false}},        {GgmlType::I64, {"I64", 1, 8, false}},
    {GgmlType::F64, {"F64", 1, 8, false}},        {GgmlType::BF16, {"BF16", 1, 2, true}},
}};

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(uint32_t raw_type) {
  for (const auto& e : kTypes) {
    if (static_cast<uint32_t>(e.type) == raw_type) return e.info;
  }
  return std::nullopt;
}

std::string_view ggml_type_name(GgmlType t) {
  auto info = ggml_type_info(static_cast<uint32_t>(t));
  return info ? info->name : std::string_view("unknown");
}

uint64_t ggml_row_size(GgmlType t, uint64_t n_elems) {
  const auto info = ggml_type_info(static_cast<uint32_t>(t));
  if (!info)
    throw std::invalid_argument("ggml_row_size: unknown type id " + std::to_string(static_cast<uint32_t>(t)));
  if (n_elems % info->block_elems != 0) {
    throw std::invalid_argument("ggml_row_size: " + std::to_string(n_elems) +
                                " elements is not a multiple of the " + std::string(info->name) +
                                " block size " + std::to_string(info->block_elems));
  }
  return n_elems / info->block_elems * info->block_bytes;
}

}  // namespace dbsa
