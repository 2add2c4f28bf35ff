// Loading weights from GGUF: missing or misshapen tensors are refused with the tensor named, and the
// storage options (16-bit kept or expanded, quantized to F16 or F32) compute the same model.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/cpu_backend.h"
#include "engine/llama_model.h"
#include "model/gguf_writer.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

// A copy of a fixture model with one tensor dropped or its shape changed.
std::shared_ptr<const GgufFile> altered_copy(const std::string& fixture_model, const std::string& tensor,
                                             bool drop) {
  const auto src = GgufFile::open(test::fixture("models/" + fixture_model).string());
  GgufWriter w;
  w.copy_prefix(*src, "");
  for (const auto& t : src->tensors()) {
    std::vector<uint64_t> dims = t.dims;
    if (t.name == tensor) {
      if (drop) continue;
      std::swap(dims[0], dims[1]);  // same bytes, transposed shape
    }
    w.add_tensor(t.name, t.type, dims, std::span<const std::byte>(t.data, t.n_bytes));
  }
  return GgufFile::from_bytes(w.to_bytes(), "altered-" + fixture_model);
}

TEST(ModelWeights, MissingTensorIsNamed) {
  const auto f = altered_copy("tiny-spm-f32.gguf", "blk.1.ffn_up.weight", true);
  try {
    ModelWeights::load(f);
    FAIL() << "expected an error";
  } catch (const GgufError& e) {
    EXPECT_NE(std::string(e.what()).find("blk.1.ffn_up.weight"), std::string::npos) << e.what();
  }
}

TEST(ModelWeights, WrongShapeIsNamedWithTheExpectation) {
  const auto f = altered_copy("tiny-spm-f32.gguf", "blk.0.ffn_gate.weight", false);
  try {
    ModelWeights::load(f);
    FAIL() << "expected an error";
  } catch (const GgufError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("blk.0.ffn_gate.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[64, 160]"), std::string::npos) << msg;
  }
}

std::vector<float> last_logits(const std::string& model, const WeightLoadOptions& o) {
  std::shared_ptr<const GgufFile> f = GgufFile::open(test::fixture("models/" + model).string());
  LlamaModel m(ModelWeights::load(f, o), std::make_shared<CpuBackend>(2));
  const std::vector<int32_t> toks = {1, 450, 7483, 310, 3444, 338, 29871, 13, 4013, 29871, 1724, 29889};
  KvCache c = m.make_cache(16);
  ForwardRequest r;
  r.tokens = toks;
  r.ubatch = 5;  // exercise the batched (sgemm) path as well as the final single row
  return m.forward(c, r).logits;
}

float max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float scale = 1.0f, d = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::fabs(b[i]));
    d = std::max(d, std::fabs(a[i] - b[i]));
  }
  return d / scale;
}

TEST(ModelWeights, SixteenBitKeptOrExpandedGiveTheSameModel) {
  WeightLoadOptions kept, expanded;
  expanded.expand_16bit = true;
  const auto a = last_logits("tiny-spm-f16.gguf", kept), b = last_logits("tiny-spm-f16.gguf", expanded);
  ASSERT_EQ(a.size(), 32000u);
  EXPECT_LE(max_rel_diff(a, b), 1e-5f);  // same values, different summation order only
}

TEST(ModelWeights, QuantizedToF16OrF32StayWithinRoundingOfEachOther) {
  WeightLoadOptions f16, f32;
  f16.quantized = QuantizedHolding::F16;
  f32.quantized = QuantizedHolding::F32;
  const auto a = last_logits("tiny-spm-q8_0.gguf", f16), b = last_logits("tiny-spm-q8_0.gguf", f32);
  EXPECT_GT(max_rel_diff(a, b), 0.0f);  // F16 storage does round Q8_0 values
  // ...by about one F16 rounding (2^-11) per weight, which on this random model moves logits ~1% of
  // their scale: enough that the reference comparison loads quantized weights as F32.
  EXPECT_LE(max_rel_diff(a, b), 3e-2f);
}

TEST(ModelWeights, QuantizedBlocksAreUsedInPlaceAndComputeTheSameModel) {
  for (const char* name : {"tiny-spm-q8_0.gguf", "k256-q4_k_m.gguf"}) {
    SCOPED_TRACE(name);
    const std::shared_ptr<const GgufFile> file =
        GgufFile::open(test::fixture(std::string("models/") + name).string());
    const ModelWeights blocks = ModelWeights::load(file);
    ASSERT_EQ(blocks.quantized, QuantizedHolding::InBlocks);
    int64_t tensor_bytes = 0;
    for (const WeightMatrix* w : blocks.matrices()) {
      const GgufTensorInfo& t = file->tensor(w->name);
      EXPECT_EQ(w->file_type, t.type) << w->name;
      if (!is_quantized(w->type)) continue;
      EXPECT_FALSE(w->dequantized) << w->name;
      EXPECT_EQ(w->data, t.data) << w->name << ": not the mapped bytes";
      EXPECT_EQ(w->bytes(), static_cast<int64_t>(t.n_bytes)) << w->name;
      tensor_bytes += w->bytes();
    }
    EXPECT_GT(tensor_bytes, 0);
    // Integer sums of 8-bit activations against the blocks, vs the same rounded activations against the
    // dequantized values summed exactly: the same model up to float rounding.
    WeightLoadOptions f32;
    f32.quantized = QuantizedHolding::F32;
    const auto a = last_logits(name, WeightLoadOptions{}), b = last_logits(name, f32);
    EXPECT_LE(max_rel_diff(a, b), 1e-3f);
  }
}

TEST(ModelWeights, OnlyDequantizedF32MatricesSumExactly) {
  const std::shared_ptr<const GgufFile> file =
      GgufFile::open(test::fixture("models/k256-q4_k_m.gguf").string());
  WeightLoadOptions f32, f16;
  f32.quantized = QuantizedHolding::F32;
  f16.quantized = QuantizedHolding::F16;
  const ModelWeights a = ModelWeights::load(file, f32), b = ModelWeights::load(file, f16);
  EXPECT_TRUE(a.layers[0].wq.exact_sums);
  EXPECT_TRUE(a.output.exact_sums);
  EXPECT_FALSE(b.layers[0].wq.exact_sums);  // F16 storage has rounded the values already
  f32.reference_activations = false;
  EXPECT_FALSE(ModelWeights::load(file, f32).layers[0].wq.exact_sums);
  const std::shared_ptr<const GgufFile> plain =
      GgufFile::open(test::fixture("models/tiny-spm-f32.gguf").string());
  EXPECT_FALSE(ModelWeights::load(plain, f32).layers[0].wq.exact_sums);
}

}  // namespace
}  // namespace dbsa
