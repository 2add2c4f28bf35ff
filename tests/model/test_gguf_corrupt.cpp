// Damaged and hostile images: every problem must surface as a GgufError that names the byte offset,
// never as a crash, an out-of-bounds read or a huge allocation.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "gguf_test_util.h"
#include "model/dequantize.h"
#include "model/gguf_file.h"
#include "model/gguf_writer.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

using test::find_in;
using test::parse_error;
using test::peek;
using test::poke;

// A small image with strings, arrays, a bool and two tensors of different types.
std::vector<std::byte> small_image(uint32_t alignment = 0) {
  GgufWriter w;
  if (alignment) w.set_alignment(alignment);
  w.set_string("general.architecture", "llama");
  w.set_array_u32("test.arr", {1, 2, 3});
  w.set_bool("test.flag", true);
  w.set_string("test.keya", "x");
  w.set_string("test.keyb", "y");
  std::vector<float> a(16, 1.5f);
  w.add_tensor_f32("tensor.aaaa", {8, 2}, a);
  std::vector<std::byte> q8(34, std::byte{1});
  w.add_tensor("tensor.bbbb", GgmlType::Q8_0, {32}, q8);
  return w.to_bytes();
}

// Field offsets of a tensor info, located from its (unique) name.
struct InfoAt {
  size_t name, n_dims, dim0, type, offset;
};
InfoAt info_at(const std::vector<std::byte>& b, const std::string& name, uint32_t n_dims) {
  InfoAt a{};
  a.name = find_in(b, name) - 8;
  a.n_dims = a.name + 8 + name.size();
  a.dim0 = a.n_dims + 4;
  a.type = a.dim0 + 8 * n_dims;
  a.offset = a.type + 4;
  return a;
}

// Value-type field of a metadata key.
size_t type_at(const std::vector<std::byte>& b, const std::string& key) {
  return find_in(b, key) + key.size();
}

void expect_error_at(const std::vector<std::byte>& b, size_t at, const std::string& expected_part) {
  const std::string msg = parse_error(b);
  EXPECT_NE(msg.find("img.gguf: at byte " + std::to_string(at) + ": expected "), std::string::npos) << msg;
  EXPECT_NE(msg.find(expected_part), std::string::npos) << msg;
}

TEST(GgufCorrupt, SmallImageParses) {
  const auto b = small_image();
  const auto f = GgufFile::from_bytes(b, "img.gguf");
  EXPECT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->get_array("test.arr").items.size(), 3u);
}

TEST(GgufCorrupt, HeaderFields) {
  auto b = small_image();
  {
    auto c = b;
    poke<char>(c, 0, 'X');
    expect_error_at(c, 0, "magic \"GGUF\"");
  }
  {
    auto c = b;
    poke<uint32_t>(c, 4, 1);
    expect_error_at(c, 4, "version 1");
  }
  {
    auto c = b;
    poke<uint32_t>(c, 4, 4);
    expect_error_at(c, 4, "GGUF version 2 or 3, got version 4");
  }
  {
    auto c = b;
    poke<uint32_t>(c, 4, 0x03000000u);
    expect_error_at(c, 4, "big-endian");
  }
  {
    auto c = b;
    poke<uint32_t>(c, 4, 2);  // v2 has the same layout as v3
    EXPECT_EQ(GgufFile::from_bytes(c)->version(), 2u);
  }
  {
    auto c = b;
    poke<uint64_t>(c, 8, ~uint64_t{0});
    expect_error_at(c, 8, "tensor count that fits");
  }
  {
    auto c = b;
    poke<uint64_t>(c, 16, uint64_t{1} << 40);
    expect_error_at(c, 16, "metadata entry count that fits");
  }
  {
    auto c = b;
    poke<uint64_t>(c, 8, 3);  // one tensor more than present: the parser runs into the data
    EXPECT_THROW(GgufFile::from_bytes(c), GgufError);
  }
}

TEST(GgufCorrupt, MetadataFields) {
  const auto b = small_image();
  {
    auto c = b;
    poke<uint64_t>(c, 24, uint64_t{1} << 62);  // length of the first key
    expect_error_at(c, 24, "metadata key length that fits");
  }
  {
    auto c = b;
    poke<uint64_t>(c, 24, 0);
    expect_error_at(c, 24, "non-empty metadata key");
  }
  {
    auto c = b;
    const size_t at = type_at(c, "general.architecture") + 4;  // the string value's length
    poke<uint64_t>(c, at, ~uint64_t{0} - 3);
    expect_error_at(c, at, "string length that fits");
  }
  {
    auto c = b;
    const size_t at = type_at(c, "test.flag");
    poke<uint32_t>(c, at, 13);
    expect_error_at(c, at, "value type of 'test.flag' 0..12");
  }
  {
    auto c = b;
    const size_t at = type_at(c, "test.flag") + 4;
    poke<uint8_t>(c, at, 2);
    expect_error_at(c, at, "BOOL value 0 or 1");
  }
  {
    auto c = b;
    const size_t at = type_at(c, "test.arr") + 4;  // element type
    poke<uint32_t>(c, at, 77);
    expect_error_at(c, at, "array element type 0..12");
  }
  {
    auto c = b;
    const size_t at = type_at(c, "test.arr") + 8;  // element count
    poke<uint64_t>(c, at, uint64_t{1} << 60);
    expect_error_at(c, at, "array element count that fits");
  }
  {
    auto c = b;
    const size_t at = find_in(c, "test.keyb");
    poke<char>(c, at + 8, 'a');  // now two keys are "test.keya"
    expect_error_at(c, at - 8, "unique metadata key");
  }
}

TEST(GgufCorrupt, Alignment) {
  const auto b = small_image(64);
  {
    const auto f = GgufFile::from_bytes(b);
    EXPECT_EQ(f->alignment(), 64u);
    EXPECT_EQ(f->data_offset() % 64, 0u);
    for (const auto& t : f->tensors()) EXPECT_EQ(t.offset % 64, 0u);
  }
  const size_t value_at = type_at(b, "general.alignment") + 4;
  for (uint32_t bad : {0u, 3u, 48u, 1u << 25, 1u << 30, 0x80000000u}) {
    auto c = b;
    poke<uint32_t>(c, value_at, bad);
    expect_error_at(c, value_at, "power of two");
  }
  {
    auto c = b;
    poke<uint32_t>(c, value_at - 4, 5);  // INT32 instead of UINT32
    expect_error_at(c, value_at, "power of two");
  }
}

TEST(GgufCorrupt, TensorInfoFields) {
  const auto b = small_image();
  const InfoAt a = info_at(b, "tensor.aaaa", 2);
  const InfoAt q = info_at(b, "tensor.bbbb", 1);
  {
    auto c = b;
    poke<uint32_t>(c, a.n_dims, 0);
    expect_error_at(c, a.n_dims, "1..4 dimensions");
  }
  {
    auto c = b;
    poke<uint32_t>(c, a.n_dims, 5);
    expect_error_at(c, a.n_dims, "1..4 dimensions");
  }
  {
    auto c = b;
    poke<uint64_t>(c, a.dim0 + 8, 0);
    expect_error_at(c, a.dim0 + 8, "dimension 1 of tensor 'tensor.aaaa' >= 1");
  }
  {
    auto c = b;
    poke<uint64_t>(c, a.dim0, uint64_t{1} << 40);
    poke<uint64_t>(c, a.dim0 + 8, uint64_t{1} << 40);
    expect_error_at(c, a.dim0 + 8, "fits int64");
  }
  {
    auto c = b;
    poke<uint64_t>(c, a.dim0, uint64_t{1} << 62);
    poke<uint64_t>(c, a.dim0 + 8, 2);
    expect_error_at(c, a.dim0 + 8, "fits int64");
  }
  {
    auto c = b;  // a representable but enormous tensor cannot lie inside the file
    poke<uint64_t>(c, a.dim0, uint64_t{1} << 20);
    poke<uint64_t>(c, a.dim0 + 8, uint64_t{1} << 20);
    expect_error_at(c, a.offset, "inside the file");
  }
  for (uint32_t bad_type : {4u, 5u, 16u, 29u, 31u, 1000u}) {
    auto c = b;
    poke<uint32_t>(c, a.type, bad_type);
    expect_error_at(c, a.type, "known ggml type");
  }
  {
    auto c = b;
    poke<uint64_t>(c, q.dim0, 16);  // not a multiple of the Q8_0 block
    expect_error_at(c, q.n_dims + 4, "block size 32");
  }
  {
    auto c = b;
    poke<uint64_t>(c, q.offset, peek<uint64_t>(c, q.offset) + 4);
    expect_error_at(c, q.offset, "aligned to 32");
  }
  {
    auto c = b;
    poke<uint64_t>(c, q.offset, uint64_t{1} << 40);
    expect_error_at(c, q.offset, "inside the file");
  }
  {
    auto c = b;
    poke<uint64_t>(c, q.offset, ~uint64_t{0} - 31);  // aligned, and data_offset + offset wraps around
    expect_error_at(c, q.offset, "inside the file");
  }
  {
    auto c = b;
    poke<uint64_t>(c, q.offset, peek<uint64_t>(c, a.offset));  // on top of tensor.aaaa
    expect_error_at(c, q.offset, "to start at or after");
  }
  {
    auto c = b;
    poke<char>(c, q.name + 8 + 7, 'a');  // "tensor.aaaa" twice
    poke<char>(c, q.name + 8 + 8, 'a');
    poke<char>(c, q.name + 8 + 9, 'a');
    poke<char>(c, q.name + 8 + 10, 'a');
    expect_error_at(c, q.name, "unique tensor name");
  }
  {
    auto c = b;
    poke<uint64_t>(c, a.name, 0);
    expect_error_at(c, a.name, "non-empty tensor name");
  }
}

GgufValue nested(int depth) {
  GgufValue leaf;
  leaf.type = GgufValueType::UINT8;
  leaf.v = uint64_t{7};
  GgufValue v = leaf;
  for (int i = 0; i < depth; ++i) {
    auto arr = std::make_shared<GgufArray>();
    arr->elem_type = v.type;
    arr->items = {v, v};
    GgufValue up;
    up.type = GgufValueType::ARRAY;
    up.v = arr;
    v = up;
  }
  return v;
}

TEST(GgufCorrupt, ArrayNestingIsBounded) {
  GgufWriter ok;
  ok.set("deep", nested(8));
  const auto f = GgufFile::from_bytes(ok.to_bytes());
  const GgufArray* a = &f->get_array("deep");
  for (int i = 1; i < 8; ++i) a = &a->items[1].as_array();
  EXPECT_EQ(a->items[0].as_u64(), 7u);

  GgufWriter too_deep;
  too_deep.set("deep", nested(9));
  const auto b = too_deep.to_bytes();
  const std::string msg = parse_error(b);
  EXPECT_NE(msg.find("nested at most 8 deep"), std::string::npos) << msg;
}

TEST(GgufCorrupt, ArrayElementsAreBudgetedBeforeAllocation) {
  // One UINT8 array of 2^24 + 1 elements, all bytes present: legal by size, refused by the budget.
  const std::string key = "big";
  const uint64_t n = (uint64_t{1} << 24) + 1;
  std::vector<std::byte> b(24 + 8 + key.size() + 4 + 4 + 8 + n);
  std::memcpy(b.data(), "GGUF", 4);
  poke<uint32_t>(b, 4, 3);
  poke<uint64_t>(b, 8, 0);
  poke<uint64_t>(b, 16, 1);
  poke<uint64_t>(b, 24, key.size());
  std::memcpy(b.data() + 32, key.data(), key.size());
  const size_t type_field = 32 + key.size();
  poke<uint32_t>(b, type_field, static_cast<uint32_t>(GgufValueType::ARRAY));
  poke<uint32_t>(b, type_field + 4, static_cast<uint32_t>(GgufValueType::UINT8));
  poke<uint64_t>(b, type_field + 8, n);
  expect_error_at(b, type_field + 8, "at most 16777216 array elements");
}

uint64_t reported_offset(const std::string& msg) {
  static const std::regex re("at byte ([0-9]+): expected ");
  std::smatch m;
  if (!std::regex_search(msg, m, re)) return ~uint64_t{0};
  return std::stoull(m[1]);
}

// Truncation anywhere before the end of the last tensor must fail, at an offset inside the kept bytes.
void truncate_everywhere(const std::string& fixture, uint64_t header_stride, uint64_t data_stride) {
  const auto bytes = test::read_bytes(test::fixture(fixture));
  const auto full = GgufFile::from_bytes(bytes);
  uint64_t end = 0;
  for (const auto& t : full->tensors()) end = std::max(end, full->data_offset() + t.offset + t.n_bytes);
  ASSERT_GT(end, full->data_offset());
  uint64_t checked = 0;
  auto check = [&](uint64_t n) {
    const std::string msg = parse_error(bytes, n);
    const uint64_t at = reported_offset(msg);
    ASSERT_LE(at, n) << "truncated at " << n << ": " << msg;
    ++checked;
  };
  for (uint64_t n = 0; n < full->data_offset(); n += header_stride) check(n);
  for (uint64_t n = full->data_offset(); n < end; n += data_stride) check(n);
  check(end - 1);
  EXPECT_NO_THROW(GgufFile::from_bytes(std::span<const std::byte>(bytes.data(), end)));
  EXPECT_GT(checked, 100u);
}

TEST(GgufCorrupt, TruncatedAtEveryHeaderOffset) {
  // stories260K: header region (metadata + tensor infos) is 14 kB, every single offset is tried.
  truncate_everywhere("models/stories260K-f32.gguf", 1, 4099);
}

TEST(GgufCorrupt, TruncatedLargeHeaderSampled) {
  // k256: 725 kB of header (a 32000-token vocabulary) is sampled; its data holds Q4_K and Q6_K tensors.
  truncate_everywhere("models/k256-q4_k_m.gguf", 4999, 65537);
}

TEST(GgufCorrupt, RandomByteDamageNeverCrashes) {
  const auto b = small_image();
  std::mt19937 rng(12345);
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    auto c = b;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) c[rng() % c.size()] = static_cast<std::byte>(rng() & 0xff);
    try {
      const auto f = GgufFile::from_bytes(c);
      for (const auto& t : f->tensors()) {
        if (ggml_type_info(static_cast<uint32_t>(t.type))->dequantizable) dequantize_tensor(t);
      }
      ++parsed;
    } catch (const GgufError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(parsed, 100);  // damage inside strings and tensor data is legal
}

}  // namespace
}  // namespace dbsa
