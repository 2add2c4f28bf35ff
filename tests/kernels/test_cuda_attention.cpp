// Block-sparse flash attention (kernels/flash_attention.cu) against the CPU range-list attention
// (core/engine/attention.cpp) on the same layouts: DBSA pre-encoding layouts with random block sizes,
// dense causal prefill, chunked slices, queries over assembled blocks with pre-RoPE keys, single-token
// decode over long contexts (the key-split path), empty tiles, GQA and head sizes up to 256.
#include <gtest/gtest.h>

#include "cuda_test_support.h"
#include "engine/array_row_source.h"
#include "engine/attention.h"
#include "flash_attention_plan.h"

namespace dbsa::test {
namespace {

// Online softmax in a different key order and block size than the CPU (and expf vs the CPU's exp
// polynomial): differences stay at float rounding of sums over a few thousand keys.
constexpr float kAttentionTol = 2e-5f;

struct Heads {
  int32_t n_head, n_head_kv, d;
};

class CudaAttention : public CudaTwinTest {
 protected:
  // Runs both backends on the layout; pre_rope stores keys unrotated with random positions; the first
  // prefix_rows keys (pre-RoPE only) then come from a prefix source, as a DBSA query's blocks do.
  void check(const AttentionLayout& layout, const Heads& h, bool pre_rope, int64_t extra_stride = 0,
             int64_t prefix_rows = 0) {
    const int64_t n_q = layout.n_queries, n_kv = layout.query_kv_offset + n_q;
    const int64_t stride = static_cast<int64_t>(h.n_head_kv) * h.d + extra_stride;
    SCOPED_TRACE(::testing::Message() << "heads " << h.n_head << "/" << h.n_head_kv << " d " << h.d << " n_q "
                                      << n_q << " n_kv " << n_kv << (pre_rope ? " pre-RoPE" : ""));
    const auto q = randn(static_cast<size_t>(n_q * h.n_head * h.d));
    const auto k = randn(static_cast<size_t>(n_kv * stride));
    const auto v = randn(k.size());
    RopeParams rp;
    rp.head_dim = h.d;
    rp.n_rot = h.d >= 64 ? h.d / 2 : h.d;  // partial rotation on the larger heads
    rp.neox = h.d % 32 == 0;
    std::vector<int32_t> pos(static_cast<size_t>(n_kv));
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>((i * 37) % 9000);
    const RopeTable table(rp, pos);
    AttentionArgs a;
    a.q = q.data();
    a.k = k.data();
    a.v = v.data();
    a.n_kv = n_kv;
    a.kv_stride = stride;
    a.n_head = h.n_head;
    a.n_head_kv = h.n_head_kv;
    a.head_dim = h.d;
    a.scale = 1.0f / std::sqrt(static_cast<float>(h.d));
    a.layout = &layout;
    if (pre_rope) {
      a.key_rope = &rp;
      a.key_table = &table;
    }
    const ArrayRowSource src(k, v, prefix_rows, stride, h.d, 3);
    if (prefix_rows > 0) {
      a.prefix = &src;
      a.prefix_layer = 3;
      a.prefix_rows = prefix_rows;
      a.k = k.data() + prefix_rows * stride;
      a.v = v.data() + prefix_rows * stride;
    }
    std::vector<float> want(q.size(), -7.0f), got(q.size(), 7.0f);
    a.out = want.data();
    cpu.attention(a);
    a.out = got.data();
    gpu->attention(a);
    EXPECT_TRUE(near_relative(got, want, kAttentionTol));
  }
};

TEST_F(CudaAttention, DbsaPreEncodingLayoutsMatchCpu) {
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<int64_t> starts{0};
    const int n_blocks = 2 + static_cast<int>(rng() % 6);
    for (int b = 0; b < n_blocks; ++b) starts.push_back(starts.back() + static_cast<int64_t>(rng() % 70));
    if (starts.back() == 0) starts.back() = 1;
    const int32_t sink = static_cast<int32_t>(rng() % 3) - 1, prev = static_cast<int32_t>(rng() % 4) - 1;
    check(AttentionLayout::block_sparse(starts, {sink, prev}), {4, 2, 16}, trial % 2 == 1);
  }
}

TEST_F(CudaAttention, DenseCausalPrefillAndChunkSlicesMatchCpu) {
  const auto full = AttentionLayout::dense_causal(300, 0);
  check(full, {8, 8, 64}, false);
  check(full.slice(100, 213), {8, 2, 64}, true);  // a chunk of a longer pass: keys of earlier chunks
  check(AttentionLayout::dense_causal(37, 5), {4, 1, 128}, false);
}

TEST_F(CudaAttention, QueriesOverAssembledBlocksWithPreRopeKeys) {
  // DBSA query time: selected blocks concatenated at 0..L-1, the query tokens after them.
  check(AttentionLayout::dense_causal(23, 700), {32, 8, 128}, true);
}

TEST_F(CudaAttention, QueryContextFromAPrefixSourceMatchesCpu) {
  // The DBSA query path reads its selected blocks through a KvRowSource; the CUDA backend gathers them.
  check(AttentionLayout::dense_causal(9, 650), {8, 2, 64}, true, 0, 650);
  check(AttentionLayout::dense_causal(1, 300), {4, 4, 32}, true, 8, 129);
}

TEST_F(CudaAttention, SingleTokenDecodeOverLongContextUsesKeySplits) {
  const auto layout = AttentionLayout::dense_causal(1, 6000);
  // The plan must actually split, or this test would not exercise the merge kernel.
  ASSERT_GT(cuda::plan_flash_attention(layout, 8, 1024).n_parts, 1);
  check(layout, {8, 2, 64}, false);
  check(layout, {8, 2, 64}, true);
}

TEST_F(CudaAttention, GapsEmptyTilesAndPaddedStridesGiveZerosNotNaN) {
  AttentionLayout l;
  l.n_queries = 40;
  l.query_kv_offset = 1500;
  l.tiles.push_back({0, 3, {}});                              // sees nothing: zeros
  l.tiles.push_back({3, 20, {{0, 300}, {1100, 1520}}});       // a gap between ranges
  l.tiles.push_back({20, 40, {{1490, 1491}, {1530, 1540}}});  // a range past some queries' own keys
  check(l, {6, 3, 32}, false, /*extra_stride=*/8);
  check(l, {6, 3, 32}, true);
}

TEST_F(CudaAttention, HeadSizesUpTo256) {
  for (int32_t d : {8, 40, 96, 256}) check(AttentionLayout::dense_causal(50, 20), {4, 2, d}, d == 96);
}

TEST_F(CudaAttention, HeadSizeAbove256IsRefused) {
  const auto layout = AttentionLayout::dense_causal(2, 0);
  std::vector<float> q(2 * 512), out(q.size());
  AttentionArgs a;
  a.q = a.k = a.v = q.data();
  a.out = out.data();
  a.n_kv = 2;
  a.kv_stride = 512;
  a.n_head = a.n_head_kv = 1;
  a.head_dim = 512;
  a.layout = &layout;
  EXPECT_THROW(gpu->attention(a), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa::test
