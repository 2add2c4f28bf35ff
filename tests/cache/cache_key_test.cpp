#include "cache/cache_key.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cache/cache_error.h"
#include "kv_test_data.h"

namespace dbsa {
namespace {

TEST(CacheKey, DigestIsStable32HexDigits) {
  const CacheKey k = test::sample_key();
  const std::string d = k.digest();
  EXPECT_TRUE(is_key_digest(d)) << d;
  EXPECT_EQ(d, test::sample_key().digest());
  // Pinned: the digest names folders on disk, so a change here would orphan every existing cache.
  EXPECT_EQ(k.canonical(),
            "dbsa-kv-cache-key v1\nmodel_fingerprint=12:model-abc123\ntokenizer_fingerprint=10:tok-def456\n"
            "pool_fingerprint=15:pool-trec-seed0\nblock_demos=2:50\ngrouping=8:in-order\nsink_blocks=1:1\n"
            "prev_blocks=1:2\nbos=1:0\ndtype=3:f16\n");
}

TEST(CacheKey, EveryFieldChangesTheDigestAndIsNamedInDifferences) {
  const CacheKey base = test::sample_key();
  const std::vector<std::pair<std::string, std::function<void(CacheKey&)>>> edits = {
      {"model_fingerprint", [](CacheKey& k) { k.model_fingerprint += "x"; }},
      {"tokenizer_fingerprint", [](CacheKey& k) { k.tokenizer_fingerprint += "x"; }},
      {"pool_fingerprint", [](CacheKey& k) { k.pool_fingerprint += "x"; }},
      {"block_demos", [](CacheKey& k) { k.block_demos = 25; }},
      {"grouping", [](CacheKey& k) { k.grouping = "balanced"; }},
      {"sink_blocks", [](CacheKey& k) { k.pattern.sink = kAllBlocks; }},
      {"prev_blocks", [](CacheKey& k) { k.pattern.prev = 3; }},
      {"bos", [](CacheKey& k) { k.bos = true; }},
      {"dtype", [](CacheKey& k) { k.dtype = KvDtype::Int8; }},
  };
  std::set<std::string> digests = {base.digest()};
  for (const auto& [field, edit] : edits) {
    CacheKey k = base;
    edit(k);
    EXPECT_TRUE(digests.insert(k.digest()).second) << field;
    const auto diffs = key_differences(base, k);
    ASSERT_EQ(diffs.size(), 1u) << field;
    EXPECT_EQ(diffs[0].rfind(field + ":", 0), 0u) << diffs[0];
  }
  EXPECT_TRUE(key_differences(base, base).empty());
}

TEST(CacheKey, ValuesCannotForgeOtherFields) {
  // Without length prefixes these two keys would hash the same text.
  CacheKey a = test::sample_key();
  CacheKey b = a;
  // (Built as std::string: GCC 12 warns falsely (-Wrestrict) on assigning literals here at -O3.)
  a.model_fingerprint = std::string("m\ntokenizer_fingerprint=t");
  a.tokenizer_fingerprint.clear();
  b.model_fingerprint = std::string("m");
  b.tokenizer_fingerprint = std::string("t");
  EXPECT_NE(a.digest(), b.digest());
}

TEST(CacheKey, DtypeNamesRoundTrip) {
  EXPECT_EQ(parse_kv_dtype(kv_dtype_name(KvDtype::F16)), KvDtype::F16);
  EXPECT_EQ(parse_kv_dtype(kv_dtype_name(KvDtype::Int8)), KvDtype::Int8);
  EXPECT_THROW((void)parse_kv_dtype("fp8"), CacheError);
  EXPECT_FALSE(is_key_digest("0123456789abcdef0123456789abcdeF"));
  EXPECT_FALSE(is_key_digest(".tmp-0123456789abcdef0123456789ab"));
}

}  // namespace
}  // namespace dbsa
