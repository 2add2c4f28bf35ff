// The model identity of a block cache: the weight precision of a quantized file is part of it, and
// nothing else about how the file was loaded is.
#include <gtest/gtest.h>

#include <filesystem>

#include "cache/fingerprint.h"
#include "method/model_identity.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

ModelWeights load(const char* model, bool f32) {
  WeightLoadOptions o;
  if (f32) {
    o.quantized_to = WeightType::F32;
    o.expand_16bit = true;
  }
  return ModelWeights::load(GgufFile::open(test::fixture(model).string()), o);
}

TEST(ModelIdentity, QuantizedWeightsDequantizedToF32AreAnotherModel) {
  const std::string fp = fingerprint_file(test::fixture("models/k256-q4_k_m.gguf"));
  const std::string as_f16 = cache_model_fingerprint(fp, load("models/k256-q4_k_m.gguf", false));
  const std::string as_f32 = cache_model_fingerprint(fp, load("models/k256-q4_k_m.gguf", true));
  EXPECT_EQ(as_f16, fp);  // the default keeps caches built before the distinction
  EXPECT_NE(as_f32, fp);
  EXPECT_EQ(file_part_of_fingerprint(as_f32), fp);
  EXPECT_EQ(file_part_of_fingerprint(as_f16), fp);
}

TEST(ModelIdentity, UnquantizedFilesComputeTheSameEitherWay) {
  for (const char* m : {"models/tiny-spm-f32.gguf", "models/tiny-spm-f16.gguf"}) {
    SCOPED_TRACE(m);
    EXPECT_FALSE(load(m, false).dequantized_type().has_value());
    EXPECT_FALSE(load(m, true).dequantized_type().has_value());
    EXPECT_EQ(cache_model_fingerprint("abc", load(m, true)), "abc");
  }
  EXPECT_EQ(load("models/k256-q4_k_m.gguf", false).dequantized_type(), WeightType::F16);
  EXPECT_EQ(load("models/k256-q4_k_m.gguf", true).dequantized_type(), WeightType::F32);
}

// Every place that builds a cache (encode, eval, the benches) names the model through model_manifest:
// the same file and precision give the same manifest whether the caller hashed the file or not.
TEST(ModelIdentity, ManifestNamesTheFileItsPrecisionAndTheTokenizer) {
  const auto path = test::fixture("models/k256-q4_k_m.gguf");
  const auto file = GgufFile::open(path.string());
  const auto tok_ptr = Tokenizer::from_gguf(*file);
  const Tokenizer& tok = *tok_ptr;
  const ModelWeights f32 = load("models/k256-q4_k_m.gguf", true);
  const CacheManifest m = model_manifest(path, {}, f32, tok);
  EXPECT_TRUE(std::filesystem::path(m.model_path).is_absolute());
  EXPECT_EQ(std::filesystem::canonical(m.model_path), std::filesystem::canonical(path));
  EXPECT_EQ(m.model_fingerprint, cache_model_fingerprint(fingerprint_file(path), f32));
  EXPECT_EQ(m.tokenizer_fingerprint, tokenizer_fingerprint(tok));
  EXPECT_EQ(model_manifest(path, fingerprint_file(path), f32, tok), m);
  // A caller's precomputed fingerprint is taken as given (not re-hashed).
  EXPECT_EQ(model_manifest(path, "given", load("models/k256-q4_k_m.gguf", false), tok).model_fingerprint,
            "given");
  EXPECT_TRUE(m.dataset.empty());  // the caller's part
}

}  // namespace
}  // namespace dbsa
