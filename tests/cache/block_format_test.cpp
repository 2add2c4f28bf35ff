// Block encoding/decoding against the float inputs: F16 must equal IEEE half rounding, int8 must be
// within half a quantisation step of the input with the per-(layer, head) scale computed here.
#include "cache/block_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cache/cache_error.h"
#include "kv_test_data.h"
#include "model/dequantize.h"

namespace dbsa {
namespace {

BlockEncoder encode_sample(KvDtype dtype, int32_t block, bool reverse_layers = false) {
  const KvShape s = test::sample_shape();
  BlockEncoder enc(s, dtype, static_cast<uint32_t>(block), static_cast<uint32_t>(test::sample_tokens(block)));
  for (int32_t i = 0; i < s.n_layer; ++i) {
    const int32_t layer = reverse_layers ? s.n_layer - 1 - i : i;
    EXPECT_EQ(enc.missing_layer(), reverse_layers ? 0 : layer);
    const auto k = test::sample_kv(s, block, layer, false);
    const auto v = test::sample_kv(s, block, layer, true);
    enc.put_layer(layer, k.data(), v.data());
  }
  EXPECT_EQ(enc.missing_layer(), -1);
  return enc;
}

TEST(BlockFormat, F16RoundTripEqualsHalfRounding) {
  const KvShape s = test::sample_shape();
  const int32_t block = 3;
  const auto enc = encode_sample(KvDtype::F16, block, /*reverse_layers=*/true);
  const uint32_t n = static_cast<uint32_t>(test::sample_tokens(block));
  EXPECT_EQ(enc.bytes().size(), kBlockHeaderBytes + 2u * s.n_layer * n * s.row() * 2u);
  const BlockView view(enc.bytes(), s, KvDtype::F16, block, n, "mem");
  std::vector<float> out(n * s.row());
  for (int32_t layer = 0; layer < s.n_layer; ++layer) {
    for (bool is_v : {false, true}) {
      const auto in = test::sample_kv(s, block, layer, is_v);
      is_v ? view.read_v(layer, out.data()) : view.read_k(layer, out.data());
      for (std::size_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(out[i], f16_to_f32(f32_to_f16(in[i]))) << "layer " << layer << " i " << i;
        // Independent of the conversion functions: half keeps 11 significant bits.
        ASSERT_LE(std::fabs(out[i] - in[i]), std::ldexp(std::fabs(in[i]), -11) + 1e-7f);
      }
    }
  }
}

TEST(BlockFormat, Int8IsWithinHalfAStepOfPerHeadScale) {
  const KvShape s = test::sample_shape();
  const int32_t block = 5;
  const auto enc = encode_sample(KvDtype::Int8, block);
  const uint32_t n = static_cast<uint32_t>(test::sample_tokens(block));
  const BlockView view(enc.bytes(), s, KvDtype::Int8, block, n, "mem");
  std::vector<float> out(n * s.row());
  for (int32_t layer = 0; layer < s.n_layer; ++layer) {
    for (bool is_v : {false, true}) {
      const auto in = test::sample_kv(s, block, layer, is_v);
      is_v ? view.read_v(layer, out.data()) : view.read_k(layer, out.data());
      for (int32_t h = 0; h < s.n_head_kv; ++h) {
        float amax = 0;
        for (uint32_t t = 0; t < n; ++t) {
          for (int32_t d = 0; d < s.head_dim; ++d)
            amax = std::max(amax, std::fabs(in[(t * s.n_head_kv + h) * s.head_dim + d]));
        }
        const float scale = amax / 127.0f;
        EXPECT_FLOAT_EQ(view.scale(layer, h, is_v), scale);
        for (uint32_t t = 0; t < n; ++t) {
          for (int32_t d = 0; d < s.head_dim; ++d) {
            const std::size_t i = (t * s.n_head_kv + h) * s.head_dim + d;
            ASSERT_LE(std::fabs(out[i] - in[i]), scale * 0.5f * (1 + 1e-5f))
                << "layer " << layer << " head " << h;
          }
        }
      }
    }
  }
}

TEST(BlockFormat, Int8ZeroHeadStaysZero) {
  const KvShape s{1, 1, 4};
  BlockEncoder enc(s, KvDtype::Int8, 0, 2);
  const std::vector<float> zeros(8, 0.0f);
  const std::vector<float> v = {1, -2, 3, -4, 0.5f, 0, 0, 127};
  enc.put_layer(0, zeros.data(), v.data());
  const BlockView view(enc.bytes(), s, KvDtype::Int8, 0, 2, "mem");
  std::vector<float> out(8);
  view.read_k(0, out.data());
  EXPECT_EQ(out, zeros);
  view.read_v(0, out.data());
  EXPECT_FLOAT_EQ(out[7], 127.0f);  // the maximum is exact
  EXPECT_FLOAT_EQ(out[3], -4.0f);   // integers below the maximum with scale 1 are exact
}

TEST(BlockFormat, EncoderRefusesBadInput) {
  const KvShape s{2, 1, 2};
  BlockEncoder enc(s, KvDtype::F16, 7, 1);
  const std::vector<float> ok = {1, 2};
  EXPECT_THROW(enc.put_layer(2, ok.data(), ok.data()), CacheError);
  enc.put_layer(0, ok.data(), ok.data());
  EXPECT_THROW(enc.put_layer(0, ok.data(), ok.data()), CacheError);  // twice
  const std::vector<float> big = {1, 1e6f};
  try {
    enc.put_layer(1, ok.data(), big.data());
    FAIL() << "expected an F16 overflow error";
  } catch (const CacheError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("block 7, layer 1, V"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dim 1"), std::string::npos) << msg;
  }
  BlockEncoder enc2(s, KvDtype::Int8, 0, 1);
  const std::vector<float> nan = {std::numeric_limits<float>::quiet_NaN(), 0};
  EXPECT_THROW(enc2.put_layer(0, nan.data(), ok.data()), CacheError);
  EXPECT_THROW(BlockEncoder(KvShape{0, 1, 1}, KvDtype::F16, 0, 1), CacheError);
}

TEST(BlockFormat, ViewRefusesHeadersThatDisagreeWithTheCatalog) {
  const KvShape s = test::sample_shape();
  const auto enc = encode_sample(KvDtype::F16, 1);
  const auto bytes = enc.bytes();
  const uint32_t n = static_cast<uint32_t>(test::sample_tokens(1));
  auto expect_error = [&](std::span<const std::byte> b, const KvShape& shape, KvDtype dtype, uint32_t index,
                          uint32_t tokens, const std::string& needle) {
    try {
      BlockView(b, shape, dtype, index, tokens, "blk.kv");
      FAIL() << "expected CacheError containing " << needle;
    } catch (const CacheError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("blk.kv"), std::string::npos) << e.what();
    }
  };
  expect_error(bytes, s, KvDtype::Int8, 1, n, "dtype at byte offset 12");
  expect_error(bytes, s, KvDtype::F16, 2, n, "block index at byte offset 16 is 1, expected 2");
  expect_error(bytes, KvShape{4, 2, 8}, KvDtype::F16, 1, n, "n_layer at byte offset 20");
  expect_error(bytes, s, KvDtype::F16, 1, n + 1, "n_tokens at byte offset 32");
  expect_error(bytes.first(bytes.size() - 1), s, KvDtype::F16, 1, n, "actual length");
  expect_error(bytes.first(10), s, KvDtype::F16, 1, n, "shorter than the 64-byte header");
  std::vector<std::byte> bad(bytes.begin(), bytes.end());
  bad[0] = std::byte{'X'};
  expect_error(bad, s, KvDtype::F16, 1, n, "bad magic at byte offset 0");
}

}  // namespace
}  // namespace dbsa
