// Block-format findings of the fuzz harnesses (tests/fuzz/block_view_harness.cpp): a header whose size
// arithmetic wraps around 2^64 and so "matches" a file of 64 bytes. The input is in
// tests/fuzz/regressions/block_view/ too.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cache/block_format.h"
#include "cache/cache_error.h"

namespace dbsa {
namespace {

// 4096 layers x 4096 KV heads x 65536 dims (the catalog's upper bounds) x 2^22 tokens x 2 (K, V) x 2
// bytes is exactly 2^64: the data size wraps to 0 and the header alone looked like a complete block.
constexpr KvShape kHuge{4096, 4096, 65536};
constexpr uint32_t kWrapTokens = 1u << 22;

std::vector<std::byte> header_only_block() {
  std::vector<std::byte> b(kBlockHeaderBytes);
  auto put = [&](std::size_t off, auto v) { std::memcpy(b.data() + off, &v, sizeof v); };
  std::memcpy(b.data(), "DBSAKVBL", 8);
  put(8, kBlockFormatVersion);
  put(12, uint32_t{0});  // f16
  put(16, uint32_t{0});  // block index
  put(20, static_cast<uint32_t>(kHuge.n_layer));
  put(24, static_cast<uint32_t>(kHuge.n_head_kv));
  put(28, static_cast<uint32_t>(kHuge.head_dim));
  put(32, kWrapTokens);
  put(36, static_cast<uint32_t>(kBlockHeaderBytes));
  put(40, uint64_t{kBlockHeaderBytes});
  return b;
}

TEST(BlockFormatFuzzRegressions, SizeThatWrapsAround64BitsIsRefused) {
  const auto bytes = header_only_block();
  try {
    const BlockView v(bytes, kHuge, KvDtype::F16, 0, kWrapTokens, "wrap.kv");
    FAIL() << "a 64-byte block of " << kWrapTokens << " tokens was accepted";
  } catch (const CacheError& e) {
    EXPECT_NE(std::string(e.what()).find("wrap.kv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
  EXPECT_THROW(block_file_bytes(kHuge, KvDtype::F16, kWrapTokens), CacheError);
  // The encoder sizes its buffer the same way; it must refuse rather than allocate a wrapped size.
  EXPECT_THROW(BlockEncoder(kHuge, KvDtype::F16, 0, kWrapTokens), CacheError);
}

}  // namespace
}  // namespace dbsa
