// KV blocks from the store on the device: assembly against BlockCache::assemble (its CPU twin, bit for
// bit: both use the store's own F16/int8 decoding), LRU residency by bytes, and a whole DBSA query —
// blocks pre-encoded block-sparsely, stored, assembled at new positions, query decoded — on the
// device-resident forward against the CPU.
#include <gtest/gtest.h>

#include "cache/block_cache.h"
#include "cache/cache_writer.h"
#include "cache/kv_test_data.h"
#include "cuda_forward.h"
#include "cuda_test_support.h"
#include "device_block_cache.h"
#include "engine/llama_model.h"
#include "support/test_paths.h"

namespace dbsa::test {
namespace {

BlockCache sample_store(const std::string& name, KvDtype dtype, int32_t n_blocks) {
  CacheWriter w = CacheWriter::create(scratch_dir(name), sample_key(dtype), sample_shape());
  for (int32_t b = 0; b < n_blocks; ++b) w.add_block(sample_content(b));
  for (int32_t b = 0; b < n_blocks; ++b) put_sample_block(w, b);
  return BlockCache::open(w.commit());
}

std::vector<float> device_to_host(const float* d, size_t n) {
  std::vector<float> h(n);
  DBSA_CUDA_CHECK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

TEST_F(CudaTwinTest, BlockAssemblyMatchesTheStoreBitForBit) {
  for (KvDtype dtype : {KvDtype::F16, KvDtype::Int8}) {
    const BlockCache store =
        sample_store(dtype == KvDtype::F16 ? "dev_blocks_f16" : "dev_blocks_i8", dtype, 5);
    cuda::DeviceBlockCache dev(store, 1 << 20, nullptr);
    const std::vector<int32_t> sel = {0, 3, 1, 3};  // repeats allowed, any order
    const auto n = static_cast<size_t>(store.total_tokens(sel)) * store.shape().row();
    cuda::DeviceBuffer<float> k(n), v(n);
    for (int32_t layer = 0; layer < store.shape().n_layer; ++layer) {
      std::vector<float> want_k(n), want_v(n);
      store.assemble(sel, layer, want_k.data(), want_v.data());
      dev.assemble(sel, layer, k.data(), v.data());
      EXPECT_EQ(device_to_host(k.data(), n), want_k) << "layer " << layer;
      EXPECT_EQ(device_to_host(v.data(), n), want_v) << "layer " << layer;
    }
    EXPECT_EQ(dev.uploads(), 3);  // each distinct block crossed the bus once
  }
}

TEST_F(CudaTwinTest, BlocksStayResidentByRecencyWithinTheByteBudget) {
  const BlockCache store = sample_store("dev_blocks_lru", KvDtype::F16, 4);
  const KvShape s = store.shape();
  auto bytes = [&](int32_t b) {
    return 2 * static_cast<size_t>(s.n_layer) * store.block(b).n_tokens() * s.row() * 4;
  };
  cuda::DeviceBlockCache dev(store, bytes(0) + bytes(1), nullptr);
  const std::vector<int32_t> first = {0, 1}, second = {2}, again = {0};
  dev.load(first);
  EXPECT_EQ(dev.resident_bytes(), bytes(0) + bytes(1));
  // Blocks hold 5, 12, 8 tokens: block 2 needs more room than block 0 frees, so 0 (least recent)
  // and then 1 go.
  ASSERT_GT(bytes(2), bytes(0));
  dev.load(second);
  EXPECT_FALSE(dev.resident(0));
  EXPECT_FALSE(dev.resident(1));
  EXPECT_TRUE(dev.resident(2));
  dev.load(again);  // 0 and 2 fit together: nothing is evicted, 0 is uploaded again
  EXPECT_TRUE(dev.resident(0) && dev.resident(2));
  EXPECT_EQ(dev.resident_bytes(), bytes(0) + bytes(2));
  EXPECT_EQ(dev.uploads(), 4);
}

TEST_F(CudaTwinTest, DbsaQueryOverStoredBlocksMatchesCpu) {
  const ModelWeights w = ModelWeights::load(GgufFile::open(fixture("models/stories260K-f32.gguf").string()));
  LlamaModel model(w, std::make_shared<CpuBackend>(2));
  const auto& hp = model.hparams();
  const KvShape shape{static_cast<int32_t>(hp.n_layer), static_cast<int32_t>(hp.n_head_kv),
                      static_cast<int32_t>(hp.head_dim)};
  // Pre-encode four blocks on the CPU and store them (F16), as `dbsa encode` does.
  std::vector<int32_t> pool(80);
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<int32_t>((i * 97 + 11) % 512);
  const std::vector<int64_t> starts = {0, 20, 35, 60, 80};
  const auto layout = AttentionLayout::block_sparse(starts, {1, 2});
  KvCache pre = model.make_cache(80, KeyStorage::PreRope);
  ForwardRequest enc;
  enc.tokens = pool;
  enc.layout = &layout;
  enc.logits = LogitsMode::None;
  model.forward(pre, enc);
  CacheWriter writer = CacheWriter::create(scratch_dir("dev_dbsa_query"), sample_key(), shape);
  for (size_t b = 0; b + 1 < starts.size(); ++b) {
    BlockContent c;
    c.token_ids.assign(pool.begin() + starts[b], pool.begin() + starts[b + 1]);
    writer.add_block(std::move(c));
  }
  for (size_t b = 0; b + 1 < starts.size(); ++b)
    for (int32_t l = 0; l < shape.n_layer; ++l)
      writer.put_layer(static_cast<int32_t>(b), l, pre.k(l, starts[b]), pre.v(l, starts[b]));
  const BlockCache store = BlockCache::open(writer.commit());

  // Query: blocks 0, 2, 3 at contiguous positions, then the query tokens after them.
  const std::vector<int32_t> sel = {0, 2, 3}, query = {1, 200, 33};
  const int64_t L = store.total_tokens(sel);
  std::vector<int32_t> positions(static_cast<size_t>(L));
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<int32_t>(i);
  KvCache cpu_cache = model.make_cache(L + 8, KeyStorage::PreRope);
  const int64_t row0 = cpu_cache.append(positions);
  for (int32_t l = 0; l < shape.n_layer; ++l)
    store.assemble(sel, l, cpu_cache.k(l, row0), cpu_cache.v(l, row0));
  ForwardRequest q;
  q.tokens = query;
  const auto want = model.forward(cpu_cache, q).logits;

  cuda::CudaForward dev(model, KeyStorage::PreRope);
  dev.attach_store(store, 1 << 22);
  dev.append_blocks(sel, positions);
  const auto got = dev.forward(q).logits;
  EXPECT_TRUE(near_relative(got, want, 1e-3f));
}

}  // namespace
}  // namespace dbsa::test
