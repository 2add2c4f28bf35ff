// Every shared fixture parses; metadata, tensor infos and getters behave as the format says.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gguf_test_util.h"
#include "model/gguf_file.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

const char* const kModels[] = {"k256-q4_k_m.gguf",        "stories260K-f32.gguf", "tiny-gpt2bpe-f32.gguf",
                               "tiny-llama3bpe-f16.gguf", "tiny-spm-f16.gguf",    "tiny-spm-f32.gguf",
                               "tiny-spm-q8_0.gguf"};

TEST(GgufFile, EveryFixtureModelLoadsWithTensorsInsideTheFile) {
  for (const char* name : kModels) {
    SCOPED_TRACE(name);
    const auto path = test::fixture(std::string("models/") + name);
    const auto f = GgufFile::open(path.string());
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->file_size(), std::filesystem::file_size(path));
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->data_offset() % 32, 0u);
    EXPECT_EQ(f->get_string("general.architecture"), "llama");
    ASSERT_FALSE(f->tensors().empty());
    const auto* base = f->tensors().front().data - f->data_offset() - f->tensors().front().offset;
    for (const auto& t : f->tensors()) {
      EXPECT_EQ(t.offset % 32, 0u) << t.name;
      EXPECT_EQ(t.data, base + f->data_offset() + t.offset) << t.name;
      EXPECT_LE(f->data_offset() + t.offset + t.n_bytes, f->file_size()) << t.name;
      uint64_t n = 1;
      for (uint64_t d : t.dims) n *= d;
      EXPECT_EQ(t.n_elements, n);
      EXPECT_EQ(t.rows() * t.row_elems(), n);
      EXPECT_EQ(f->find_tensor(t.name), &t);
    }
    // 1 embedding + 9 per layer + output norm, in every fixture (all tie the output to the embedding).
    const uint64_t n_layer = f->get_u64("llama.block_count");
    EXPECT_EQ(f->tensors().size(), 2 + 9 * n_layer);
  }
}

TEST(GgufFile, VocabOnlyFixturesLoadWithoutTensors) {
  const auto spm = GgufFile::open(test::fixture("tokenizer/ggml-vocab-llama-spm.gguf").string());
  EXPECT_TRUE(spm->tensors().empty());
  EXPECT_EQ(spm->get_string("tokenizer.ggml.model"), "llama");
  const auto& tokens = spm->get_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens.elem_type, GgufValueType::STRING);
  ASSERT_EQ(tokens.items.size(), 32000u);
  EXPECT_EQ(tokens.items[1].as_string(), "<s>");
  EXPECT_EQ(tokens.items[3].as_string(), "<0x00>");
  EXPECT_EQ(spm->get_array("tokenizer.ggml.scores").items.size(), 32000u);
  EXPECT_EQ(spm->get_array("tokenizer.ggml.scores").elem_type, GgufValueType::FLOAT32);
  EXPECT_EQ(spm->get_array("tokenizer.ggml.token_type").items[3].as_i64(), 6);
  EXPECT_EQ(spm->get_u64("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_TRUE(spm->get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_FALSE(spm->get_bool("tokenizer.ggml.add_eos_token"));
  EXPECT_DOUBLE_EQ(spm->get_f64("llama.attention.layer_norm_rms_epsilon"), static_cast<double>(1e-5f));

  const auto gpt2 = GgufFile::open(test::fixture("tokenizer/ggml-vocab-gpt-2.gguf").string());
  EXPECT_TRUE(gpt2->tensors().empty());
  EXPECT_EQ(gpt2->get_array("tokenizer.ggml.tokens").items.size(), 50257u);
  EXPECT_EQ(gpt2->get_array("tokenizer.ggml.merges").items.size(), 50000u);
  EXPECT_EQ(gpt2->get_array("tokenizer.ggml.tokens").items[50256].as_string(), "<|endoftext|>");
  EXPECT_EQ(gpt2->get_string("tokenizer.ggml.pre"), "gpt-2");
}

TEST(GgufFile, MetadataKeepsFileOrderAndTypes) {
  const auto f = GgufFile::open(test::fixture("models/stories260K-f32.gguf").string());
  ASSERT_GE(f->metadata().size(), 3u);
  EXPECT_EQ(f->metadata()[0].first, "general.architecture");
  EXPECT_EQ(f->metadata()[1].first, "general.name");
  EXPECT_EQ(f->get_string("general.name"), "stories260K");
  const GgufValue* ctx = f->find("llama.context_length");
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->type, GgufValueType::UINT32);
  EXPECT_EQ(ctx->as_u64(), 512u);
  EXPECT_EQ(ctx->as_i64(), 512);
  EXPECT_DOUBLE_EQ(ctx->as_f64(), 512.0);
  EXPECT_EQ(f->get_u64_or("llama.nonexistent", 7), 7u);
  EXPECT_EQ(f->get_string_or("llama.nonexistent", "x"), "x");
  EXPECT_TRUE(f->get_bool_or("llama.nonexistent", true));
  EXPECT_DOUBLE_EQ(f->get_f64_or("llama.rope.freq_base", 1.0), 10000.0);
}

TEST(GgufFile, GetterErrorsNameTheFileAndTheKey) {
  const std::string path = test::fixture("models/stories260K-f32.gguf").string();
  const auto f = GgufFile::open(path);
  try {
    f->get_u64("llama.no_such_key");
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("llama.no_such_key"), std::string::npos) << e.what();
  }
  try {
    f->get_u64("general.name");
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("general.name"), std::string::npos) << msg;
    EXPECT_NE(msg.find("STRING"), std::string::npos) << msg;
  }
  EXPECT_THROW(f->get_string("llama.context_length"), GgufError);
  EXPECT_THROW(f->get_bool("llama.context_length"), GgufError);
  EXPECT_THROW(f->get_array("general.name"), GgufError);
  EXPECT_THROW(f->get_f64("general.name"), GgufError);
  try {
    f->tensor("blk.99.attn_q.weight");
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    EXPECT_NE(std::string(e.what()).find("blk.99.attn_q.weight"), std::string::npos) << e.what();
  }
}

TEST(GgufFile, SignedAndUnsignedConversionsAreChecked) {
  GgufValue neg;
  neg.type = GgufValueType::INT32;
  neg.v = int64_t{-3};
  EXPECT_EQ(neg.as_i64(), -3);
  EXPECT_THROW(neg.as_u64("k"), GgufError);
  GgufValue big;
  big.type = GgufValueType::UINT64;
  big.v = uint64_t{1} << 63;
  EXPECT_THROW(big.as_i64("k"), GgufError);
  EXPECT_EQ(big.as_u64(), uint64_t{1} << 63);
}

TEST(GgufFile, OpenErrorsNameThePath) {
  const auto dir = test::scratch_dir("gguf_open_errors");
  const std::string missing = (dir / "missing.gguf").string();
  try {
    GgufFile::open(missing);
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW(GgufFile::open(dir.string()), GgufError);  // a directory
  const std::string empty = (dir / "empty.gguf").string();
  std::ofstream(empty).close();
  try {
    GgufFile::open(empty);
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(empty + ": at byte 0: expected magic"), std::string::npos) << msg;
  }
}

TEST(GgufFile, FromBytesMatchesOpen) {
  const auto path = test::fixture("models/stories260K-f32.gguf");
  const auto bytes = test::read_bytes(path);
  const auto a = GgufFile::open(path.string());
  const auto b = GgufFile::from_bytes(bytes, "copy");
  EXPECT_EQ(b->path(), "copy");
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  EXPECT_EQ(a->data_offset(), b->data_offset());
  for (size_t i = 0; i < a->tensors().size(); ++i) {
    const auto& ta = a->tensors()[i];
    const auto& tb = b->tensors()[i];
    EXPECT_EQ(ta.name, tb.name);
    EXPECT_EQ(ta.dims, tb.dims);
    EXPECT_EQ(std::memcmp(ta.data, tb.data, ta.n_bytes), 0) << ta.name;
  }
}

}  // namespace
}  // namespace dbsa
