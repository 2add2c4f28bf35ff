// The model identity of a block cache: the weight precision of a quantized file is part of it, and
// nothing else about how the file was loaded is.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dbsa
