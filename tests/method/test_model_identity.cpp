// The model identity of a block cache: the weight precision of a quantized file is part of it, so is a
// 16-bit file's expansion to F32, and nothing else about how the file was loaded is.
#include <gtest/gtest.h>

#include <filesystem>

#include "cache/fingerprint.h"
#include "method/model_identity.h"
#include "model/model_summary.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

ModelWeights load(const char* model, WeightPrecision p) {
  return ModelWeights::load(GgufFile::open(test::fixture(model).string()),
                            WeightLoadOptions::for_precision(p));
}

TEST(ModelIdentity, EachHoldingOfQuantizedWeightsIsAnotherModel) {
  const char* q4 = "models/k256-q4_k_m.gguf";
  const std::string fp = fingerprint_file(test::fixture(q4));
  const std::string as_blocks = cache_model_fingerprint(fp, load(q4, WeightPrecision::Native));
  const std::string as_f16 = cache_model_fingerprint(fp, load(q4, WeightPrecision::F16));
  const std::string as_f32 = cache_model_fingerprint(fp, load(q4, WeightPrecision::F32));
  EXPECT_EQ(as_f16, fp);  // F16 keeps the names of caches built when it was the only holding
  EXPECT_NE(as_f32, fp);
  EXPECT_NE(as_blocks, fp);
  EXPECT_NE(as_blocks, as_f32);
  for (const auto& f : {as_blocks, as_f16, as_f32}) EXPECT_EQ(file_part_of_fingerprint(f), fp);
  // A cache of one holding opened with another names the flag that matches it.
  const auto native = load(q4, WeightPrecision::Native);
  EXPECT_EQ(precision_mismatch(as_blocks, fp, native), "");
  EXPECT_NE(precision_mismatch(as_f32, fp, native).find("--weights-f32"), std::string::npos);
  EXPECT_NE(precision_mismatch(as_f16, fp, native).find("--weights-f16"), std::string::npos);
  EXPECT_NE(precision_mismatch(as_blocks, fp, load(q4, WeightPrecision::F16)).find("the default"),
            std::string::npos);
}

// The studio loads a cache's model itself: the precision read back from the identity loads it as the
// cache was computed, for each holding; an unknown one gives none (the session's check then names it).
TEST(ModelIdentity, ThePrecisionOfACacheLoadsItsModelTheSameWay) {
  const char* q4 = "models/k256-q4_k_m.gguf";
  const std::string fp = fingerprint_file(test::fixture(q4));
  for (const auto p : {WeightPrecision::Native, WeightPrecision::F16, WeightPrecision::F32}) {
    SCOPED_TRACE(weight_precision_name(p));
    const std::string id = cache_model_fingerprint(fp, load(q4, p));
    ASSERT_EQ(cache_weight_precision(id), p);
    EXPECT_EQ(precision_mismatch(id, fp, load(q4, *cache_weight_precision(id))), "");
  }
  EXPECT_EQ(cache_weight_precision(fp + "+q-blocks-v9"), std::nullopt);
  // Listings name the holding where the file's tensors make it matter.
  const auto file = GgufFile::open(test::fixture(q4).string());
  ASSERT_TRUE(weights_holding_matters(*file));
  EXPECT_EQ(cache_weights_name(cache_model_fingerprint(fp, load(q4, WeightPrecision::F16)), true), "f16");
  EXPECT_EQ(cache_weights_name(cache_model_fingerprint(fp, load(q4, WeightPrecision::Native)), true),
            "native");
  EXPECT_EQ(cache_weights_name(cache_model_fingerprint(fp, load(q4, WeightPrecision::F32)), true), "f32");
  EXPECT_EQ(cache_weights_name(fp + "+q-blocks-v9", true), "unknown");
  EXPECT_TRUE(weights_holding_matters(*GgufFile::open(test::fixture("models/tiny-spm-f16.gguf").string())));
  EXPECT_FALSE(weights_holding_matters(*GgufFile::open(test::fixture("models/tiny-spm-f32.gguf").string())));
  EXPECT_EQ(cache_weights_name(fp, false), "");
  // A file without quantized matrices: no holding in the identity, and F16 changes none of its values.
  const std::string f32_fp = fingerprint_file(test::fixture("models/tiny-spm-f32.gguf"));
  EXPECT_EQ(cache_weight_precision(f32_fp), WeightPrecision::F16);
  EXPECT_EQ(precision_mismatch(f32_fp, f32_fp, load("models/tiny-spm-f32.gguf", WeightPrecision::F16)), "");
}

TEST(ModelIdentity, AnF32FileComputesTheSameEitherWay) {
  for (const auto p : {WeightPrecision::Native, WeightPrecision::F16, WeightPrecision::F32}) {
    const ModelWeights w = load("models/tiny-spm-f32.gguf", p);
    EXPECT_FALSE(w.quantized.has_value());
    EXPECT_FALSE(w.expanded_16bit);
    EXPECT_EQ(cache_model_fingerprint("abc", w), "abc");
  }
  EXPECT_EQ(load("models/k256-q4_k_m.gguf", WeightPrecision::Native).quantized, QuantizedHolding::InBlocks);
  EXPECT_EQ(load("models/k256-q4_k_m.gguf", WeightPrecision::F32).quantized, QuantizedHolding::F32);
}

// `--weights-f32` on a 16-bit file sends its products through the F32 kernels, whose sums differ in the
// last bits (tests/engine/test_model_weights.cpp, SixteenBitKeptOrExpanded...): its caches are another
// model's, while native and `--weights-f16` hold the file alike and keep the plain identity.
TEST(ModelIdentity, ExpandingA16BitFileToF32IsAnotherModel) {
  const char* f16 = "models/tiny-spm-f16.gguf";
  const std::string fp = fingerprint_file(test::fixture(f16));
  const ModelWeights native = load(f16, WeightPrecision::Native), as_f32 = load(f16, WeightPrecision::F32);
  EXPECT_FALSE(native.expanded_16bit);
  EXPECT_TRUE(as_f32.expanded_16bit);
  EXPECT_EQ(cache_model_fingerprint(fp, native), fp);
  EXPECT_EQ(cache_model_fingerprint(fp, load(f16, WeightPrecision::F16)), fp);
  const std::string f32_id = cache_model_fingerprint(fp, as_f32);
  EXPECT_NE(f32_id, fp);
  EXPECT_EQ(file_part_of_fingerprint(f32_id), fp);
  EXPECT_EQ(cache_weight_precision(f32_id), WeightPrecision::F32);
  EXPECT_NE(precision_mismatch(f32_id, fp, native).find("--weights-f32"), std::string::npos);
  EXPECT_NE(precision_mismatch(fp, fp, as_f32).find("--weights-f16"), std::string::npos);
  EXPECT_EQ(precision_mismatch(fp, fp, load(f16, *cache_weight_precision(fp))), "");
  EXPECT_EQ(cache_weights_name(fp, true), "f16");
  EXPECT_EQ(cache_weights_name(f32_id, true), "f32");
}

// Every place that builds a cache (encode, eval, the benches) names the model through model_manifest:
// the same file and precision give the same manifest whether the caller hashed the file or not.
TEST(ModelIdentity, ManifestNamesTheFileItsPrecisionAndTheTokenizer) {
  const auto path = test::fixture("models/k256-q4_k_m.gguf");
  const auto file = GgufFile::open(path.string());
  const auto tok_ptr = Tokenizer::from_gguf(*file);
  const Tokenizer& tok = *tok_ptr;
  const ModelWeights f32 = load("models/k256-q4_k_m.gguf", WeightPrecision::F32);
  const CacheManifest m = model_manifest(path, {}, f32, tok);
  EXPECT_TRUE(std::filesystem::path(m.model_path).is_absolute());
  EXPECT_EQ(std::filesystem::canonical(m.model_path), std::filesystem::canonical(path));
  EXPECT_EQ(m.model_fingerprint, cache_model_fingerprint(fingerprint_file(path), f32));
  EXPECT_EQ(m.tokenizer_fingerprint, tokenizer_fingerprint(tok));
  EXPECT_EQ(model_manifest(path, fingerprint_file(path), f32, tok), m);
  // A caller's precomputed fingerprint is taken as given (not re-hashed).
  EXPECT_EQ(model_manifest(path, "given", load("models/k256-q4_k_m.gguf", WeightPrecision::F16), tok)
                .model_fingerprint,
            "given");
  EXPECT_TRUE(m.dataset.empty());  // the caller's part
}

}  // namespace
}  // namespace dbsa
