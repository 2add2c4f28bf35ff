// Writer round trip: what is written reads back identically (every value type, nested arrays, tensor
// bytes, alignment), and files appear atomically.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "gguf_test_util.h"
#include "model/gguf_file.h"
#include "model/gguf_writer.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

bool same_value(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type || a.v.index() != b.v.index()) return false;
  if (a.type != GgufValueType::ARRAY) {
    if (const auto* x = std::get_if<double>(&a.v)) {
      const double y = std::get<double>(b.v);
      return (std::isnan(*x) && std::isnan(y)) || std::memcmp(x, &y, sizeof(double)) == 0;
    }
    return a.v == b.v;
  }
  const auto& x = a.as_array();
  const auto& y = b.as_array();
  if (x.elem_type != y.elem_type || x.items.size() != y.items.size()) return false;
  for (size_t i = 0; i < x.items.size(); ++i) {
    if (!same_value(x.items[i], y.items[i])) return false;
  }
  return true;
}

GgufWriter every_type_writer() {
  GgufWriter w;
  w.set_u8("v.u8", 250);
  w.set_i8("v.i8", -120);
  w.set_u16("v.u16", 65000);
  w.set_i16("v.i16", -32000);
  w.set_u32("v.u32", 4000000000u);
  w.set_i32("v.i32", -2000000000);
  w.set_u64("v.u64", ~uint64_t{0});
  w.set_i64("v.i64", std::numeric_limits<int64_t>::min());
  w.set_f32("v.f32", 0.1f);
  w.set_f64("v.f64", -1e300);
  w.set_bool("v.true", true);
  w.set_bool("v.false", false);
  w.set_string("v.str", "h\xc3\xa9llo \xe2\x96\x81 world");
  w.set_string("v.empty", "");
  w.set_array_string("v.astr", {"a", "", "\xe2\x96\x81the"});
  w.set_array_f32("v.af32", {1.0f, -0.0f, std::numeric_limits<float>::infinity()});
  w.set_array_i32("v.ai32", {-1, 0, 7});
  w.set_array_u32("v.au32", {});
  // An array of arrays of different lengths and element types.
  auto inner_a = std::make_shared<GgufArray>();
  inner_a->elem_type = GgufValueType::INT16;
  for (int64_t x : {-5, 6}) inner_a->items.push_back(GgufValue{GgufValueType::INT16, x});
  auto inner_b = std::make_shared<GgufArray>();
  inner_b->elem_type = GgufValueType::STRING;
  inner_b->items.push_back(GgufValue{GgufValueType::STRING, std::string("deep")});
  auto outer = std::make_shared<GgufArray>();
  outer->elem_type = GgufValueType::ARRAY;
  outer->items.push_back(GgufValue{GgufValueType::ARRAY, inner_a});
  outer->items.push_back(GgufValue{GgufValueType::ARRAY, inner_b});
  w.set("v.nested", GgufValue{GgufValueType::ARRAY, outer});
  return w;
}

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensorBytes) {
  GgufWriter w = every_type_writer();
  std::vector<float> f32(3 * 5);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<float>(i) * 0.25f - 1.0f;
  w.add_tensor_f32("a", {5, 3}, f32);
  std::vector<std::byte> q4(2 * 18);
  for (size_t i = 0; i < q4.size(); ++i) q4[i] = static_cast<std::byte>(i * 7);
  w.add_tensor("b", GgmlType::Q4_0, {64}, q4);
  std::vector<std::byte> one(2, std::byte{0x3c});
  w.add_tensor("c", GgmlType::F16, {1, 1, 1, 1}, one);

  const auto dir = test::scratch_dir("gguf_writer_roundtrip");
  const std::string path = (dir / "m.gguf").string();
  w.write(path);
  const auto f = GgufFile::open(path);
  EXPECT_EQ(f->version(), 3u);
  ASSERT_EQ(f->metadata().size(), w.metadata().size());
  for (size_t i = 0; i < w.metadata().size(); ++i) {
    EXPECT_EQ(f->metadata()[i].first, w.metadata()[i].first);
    EXPECT_TRUE(same_value(f->metadata()[i].second, w.metadata()[i].second)) << w.metadata()[i].first;
  }
  EXPECT_EQ(f->get_u64("v.u64"), ~uint64_t{0});
  EXPECT_EQ(f->get_i64("v.i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(f->get_f64("v.f32"), static_cast<double>(0.1f));
  EXPECT_EQ(f->get_array("v.nested").items[1].as_array().items[0].as_string(), "deep");
  EXPECT_EQ(f->get_array("v.nested").items[0].as_array().items[0].as_i64(), -5);

  ASSERT_EQ(f->tensors().size(), 3u);
  const auto& a = f->tensor("a");
  EXPECT_EQ(a.type, GgmlType::F32);
  EXPECT_EQ(a.dims, (std::vector<uint64_t>{5, 3}));
  EXPECT_EQ(std::memcmp(a.data, f32.data(), 60), 0);
  const auto& b = f->tensor("b");
  EXPECT_EQ(b.type, GgmlType::Q4_0);
  EXPECT_EQ(b.n_bytes, 36u);
  EXPECT_EQ(std::memcmp(b.data, q4.data(), 36), 0);
  EXPECT_EQ(f->tensor("c").dims.size(), 4u);
  EXPECT_EQ(f->tensor("c").offset % 32, 0u);

  // The same image through to_bytes.
  EXPECT_EQ(test::read_bytes(path), w.to_bytes());
}

TEST(GgufWriter, HonoursAlignment) {
  GgufWriter w;
  w.set_alignment(128);
  std::vector<float> v(3, 2.0f);
  w.add_tensor_f32("x", {3}, v);
  w.add_tensor_f32("y", {3}, v);
  const auto f = GgufFile::from_bytes(w.to_bytes());
  EXPECT_EQ(f->alignment(), 128u);
  EXPECT_EQ(f->data_offset() % 128, 0u);
  EXPECT_EQ(f->tensor("y").offset, 128u);
  EXPECT_THROW(w.set_alignment(24), GgufError);
}

TEST(GgufWriter, CopiesTokenizerKeysFromAFile) {
  const auto src = GgufFile::open(test::fixture("tokenizer/ggml-vocab-llama-spm.gguf").string());
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  const size_t n = w.copy_prefix(*src, "tokenizer.");
  EXPECT_EQ(n, 10u);
  w.copy_from(*src, "llama.context_length");
  EXPECT_THROW(w.copy_from(*src, "no.such.key"), GgufError);
  const auto f = GgufFile::from_bytes(w.to_bytes());
  EXPECT_EQ(f->get_u64("llama.context_length"), 4096u);
  const auto& a = f->get_array("tokenizer.ggml.tokens");
  const auto& b = src->get_array("tokenizer.ggml.tokens");
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) ASSERT_EQ(a.items[i].as_string(), b.items[i].as_string());
  EXPECT_TRUE(same_value(*f->find("tokenizer.ggml.scores"), *src->find("tokenizer.ggml.scores")));
}

TEST(GgufWriter, SettingAKeyAgainReplacesIt) {
  GgufWriter w;
  w.set_u32("a", 1);
  w.set_u32("b", 2);
  w.set_string("a", "now a string");
  ASSERT_EQ(w.metadata().size(), 2u);
  EXPECT_EQ(w.metadata()[0].first, "a");
  EXPECT_EQ(GgufFile::from_bytes(w.to_bytes())->get_string("a"), "now a string");
}

TEST(GgufWriter, RejectsInconsistentTensorsAndValues) {
  GgufWriter w;
  std::vector<float> v(4);
  EXPECT_THROW(w.add_tensor_f32("t", {5}, v), GgufError);     // wrong byte count
  EXPECT_THROW(w.add_tensor_f32("t", {}, v), GgufError);      // no dims
  EXPECT_THROW(w.add_tensor_f32("t", {4, 0}, v), GgufError);  // zero dim
  EXPECT_THROW(w.add_tensor_f32("", {4}, v), GgufError);      // no name
  EXPECT_THROW(w.add_tensor("t", GgmlType::Q8_0, {16}, std::as_bytes(std::span(v))), GgufError);
  w.add_tensor_f32("t", {4}, v);
  EXPECT_THROW(w.add_tensor_f32("t", {4}, v), GgufError);  // duplicate
  EXPECT_THROW(w.set_u32("", 1), GgufError);
  w.set("bad", GgufValue{GgufValueType::UINT32, std::string("not a number")});
  EXPECT_THROW(w.to_bytes(), GgufError);
}

TEST(GgufWriter, WriteIsAtomicAndErrorsNameThePath) {
  const auto dir = test::scratch_dir("gguf_writer_atomic");
  const std::string path = (dir / "model.gguf").string();
  GgufWriter first;
  first.set_u32("version.of.file", 1);
  first.write(path);
  GgufWriter second;
  second.set_u32("version.of.file", 2);
  second.write(path);  // replaces the existing file
  EXPECT_EQ(GgufFile::open(path)->get_u64("version.of.file"), 2u);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file may be left behind";

  GgufWriter bad;  // fails while serializing: the old file must survive untouched
  bad.set("x", GgufValue{GgufValueType::BOOL, uint64_t{1}});
  EXPECT_THROW(bad.write(path), GgufError);
  EXPECT_EQ(GgufFile::open(path)->get_u64("version.of.file"), 2u);
  files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);

  const std::string nowhere = (dir / "no_such_dir" / "m.gguf").string();
  try {
    first.write(nowhere);
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    EXPECT_NE(std::string(e.what()).find(nowhere), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
