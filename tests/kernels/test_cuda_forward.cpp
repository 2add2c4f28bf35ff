// Whole forward passes of the fixture models with the CUDA backend against the CPU backend (and the
// reference logits of ../shared/fixtures/reference), with the fixtures README's tolerances: F32
// max|Δlogit| <= 1e-3·max|logit|, F16 <= 1e-2·, quantized <= 5e-2·, and the same argmax.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "cuda_forward.h"
#include "cuda_test_support.h"
#include "engine/generation.h"
#include "engine/llama_model.h"
#include "engine/sampling.h"
#include "support/test_paths.h"

namespace dbsa::test {
namespace {

float tolerance_for(const std::string& model) {
  if (model.find("f32") != std::string::npos) return 1e-3f;
  if (model.find("f16") != std::string::npos) return 1e-2f;
  return 5e-2f;
}

std::vector<int32_t> read_tokens(const std::string& stem) {
  std::ifstream f(fixture("reference/" + stem + ".tokens"));
  std::vector<int32_t> out;
  for (int32_t t; f >> t;) out.push_back(t);
  return out;
}

std::vector<float> read_logits(const std::string& stem) {
  std::ifstream f(fixture("reference/" + stem + ".logits"), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// The reference prompt of each fixture model (stories260K has its own story prompts).
std::string stem_of(const std::string& model) {
  return model + (model.rfind("stories", 0) == 0 ? ".story" : ".capital");
}

class CudaForward : public CudaTwinTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CudaForward, LastLogitsMatchCpuAndReference) {
  const std::string model = GetParam(), stem = stem_of(model);
  const auto tokens = read_tokens(stem);
  const auto reference = read_logits(stem);
  ASSERT_FALSE(tokens.empty()) << "missing fixture " << stem;
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/" + model + ".gguf").string()));
  LlamaModel on_cpu(w, std::make_shared<CpuBackend>(2)), on_gpu(w, gpu);
  ForwardRequest req;
  req.tokens = tokens;
  req.ubatch = 7;  // several chunks: attention over keys written by earlier chunks
  KvCache c1 = on_cpu.make_cache(64), c2 = on_gpu.make_cache(64);
  const auto want = on_cpu.forward(c1, req).logits;
  const auto got = on_gpu.forward(c2, req).logits;
  const float tol = tolerance_for(model);
  EXPECT_TRUE(near_relative(got, want, tol)) << "against the CPU backend";
  EXPECT_TRUE(near_relative(got, reference, tol)) << "against the reference implementation";
  EXPECT_TRUE(same_argmax_or_near_tie(got, want, tol));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CudaForward,
                         ::testing::Values("tiny-spm-f32", "tiny-spm-f16", "tiny-llama3bpe-f16",
                                           "tiny-gpt2bpe-f32", "stories260K-f32", "tiny-spm-q8_0",
                                           "k256-q4_k_m"));

TEST_F(CudaTwinTest, BlockSparsePreEncodingThenQueryOverPreRopeCacheMatchesCpu) {
  // The DBSA path end to end: pre-encode blocks with the block-sparse layout into a pre-RoPE cache,
  // then decode a query over it, on both backends.
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/stories260K-f32.gguf").string()));
  LlamaModel on_cpu(w, std::make_shared<CpuBackend>(2)), on_gpu(w, gpu);
  std::vector<int32_t> pool(90), query = {1, 300, 17, 42};
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<int32_t>((i * 131 + 7) % 512);
  const std::vector<int64_t> starts = {0, 20, 45, 70, 90};
  const auto layout = AttentionLayout::block_sparse(starts, {1, 1});
  std::vector<float> last[2];
  int i = 0;
  for (LlamaModel* m : {&on_cpu, &on_gpu}) {
    KvCache cache = m->make_cache(128, KeyStorage::PreRope);
    ForwardRequest pre;
    pre.tokens = pool;
    pre.layout = &layout;
    pre.logits = LogitsMode::None;
    m->forward(cache, pre);
    ForwardRequest q;
    q.tokens = query;
    last[i++] = m->forward(cache, q).logits;
  }
  EXPECT_TRUE(near_relative(last[1], last[0], 1e-3f));
}

TEST_P(CudaForward, DeviceResidentForwardMatchesCpuForEveryPosition) {
  const std::string model = GetParam(), stem = stem_of(model);
  const auto tokens = read_tokens(stem);
  ASSERT_FALSE(tokens.empty()) << "missing fixture " << stem;
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/" + model + ".gguf").string()));
  LlamaModel on_cpu(w, std::make_shared<CpuBackend>(2));
  cuda::CudaForward on_gpu(on_cpu);
  ForwardRequest req;
  req.tokens = tokens;
  req.logits = LogitsMode::All;
  req.ubatch = 5;
  KvCache cache = on_cpu.make_cache(64);
  const auto want = on_cpu.forward(cache, req).logits;
  const auto got = on_gpu.forward(req).logits;
  EXPECT_TRUE(near_relative(got, want, tolerance_for(model)));
  // The K/V the device wrote for the last layer are the CPU's (keys post-RoPE in both caches).
  const int32_t last = static_cast<int32_t>(on_cpu.hparams().n_layer) - 1;
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<float> k(static_cast<size_t>(n * cache.row_floats())), v(k.size());
  on_gpu.read_kv(last, 0, n, k.data(), v.data());
  EXPECT_TRUE(near_relative(k, std::vector<float>(cache.k(last, 0), cache.k(last, 0) + k.size()),
                            tolerance_for(model)));
  EXPECT_TRUE(near_relative(v, std::vector<float>(cache.v(last, 0), cache.v(last, 0) + v.size()),
                            tolerance_for(model)));
}

TEST_F(CudaTwinTest, DeviceResidentForwardDbsaPathAndGreedyDecodeMatchCpu) {
  // Pre-encode blocks block-sparsely into a pre-RoPE cache, then decode greedily one token at a time
  // over it (single-query attention over every cached key, rotated as it is read).
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/stories260K-f32.gguf").string()));
  LlamaModel on_cpu(w, std::make_shared<CpuBackend>(2));
  cuda::CudaForward on_gpu(on_cpu, KeyStorage::PreRope);
  KvCache cache = on_cpu.make_cache(160, KeyStorage::PreRope);
  std::vector<int32_t> pool(90);
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<int32_t>((i * 131 + 7) % 512);
  const std::vector<int64_t> starts = {0, 20, 45, 70, 90};
  const auto layout = AttentionLayout::block_sparse(starts, {1, 1});
  ForwardRequest pre;
  pre.tokens = pool;
  pre.layout = &layout;
  pre.logits = LogitsMode::None;
  on_cpu.forward(cache, pre);
  on_gpu.forward(pre);
  std::vector<int32_t> next = {1};
  for (int step = 0; step < 8; ++step) {
    ForwardRequest r;
    r.tokens = next;
    const auto want = on_cpu.forward(cache, r).logits;
    const auto got = on_gpu.forward(r).logits;
    ASSERT_TRUE(near_relative(got, want, 1e-3f)) << "step " << step;
    ASSERT_TRUE(same_argmax_or_near_tie(got, want, 1e-3f)) << "step " << step;
    next = {argmax(want)};
  }
  EXPECT_EQ(on_gpu.cache_size(), cache.size());
}

TEST_F(CudaTwinTest, GreedyGenerationOnTheDeviceRunnerMatchesCpu) {
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/stories260K-f32.gguf").string()));
  LlamaModel on_cpu(w, std::make_shared<CpuBackend>(2));
  cuda::CudaForward on_gpu(on_cpu);
  const auto prompt = read_tokens("stories260K-f32.story");
  ASSERT_FALSE(prompt.empty());
  GenerateOptions go;
  go.max_tokens = 32;
  KvCache cache = on_cpu.make_cache(128);
  const auto want = generate(on_cpu, cache, prompt, go);
  const auto got = generate(on_gpu, prompt, go);
  EXPECT_EQ(got.tokens, want.tokens);  // trained weights: greedy choices are far from ties
}

}  // namespace
}  // namespace dbsa::test
