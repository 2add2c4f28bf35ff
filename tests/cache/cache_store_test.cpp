// The store root: listing, opening by key, appending, deleting, verifying.
#include "cache/cache_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cache/cache_error.h"
#include "kv_test_data.h"
#include "support/error_of.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

void build(const CacheStore& store, const CacheKey& key, int32_t n_blocks) {
  test::build_sample_cache(store, key, n_blocks);
}

std::string error_of(const std::function<void()>& f) {
  return test::error_of<CacheError>(f);
}

TEST(CacheStore, ListsCachesWithTheirKeysAndSizesAndDeletes) {
  const CacheStore store(test::scratch_dir("store_list") / "root");
  EXPECT_TRUE(store.list().empty());  // the root does not exist yet
  const CacheKey a = test::sample_key();
  CacheKey b = a;
  b.dtype = KvDtype::Int8;
  build(store, a, 2);
  build(store, b, 3);
  // Noise that must not be listed: a build in progress and an unrelated folder.
  std::filesystem::create_directories(store.root() / (".tmp-" + a.digest() + "-999999"));
  std::filesystem::create_directories(store.root() / "notes");
  const auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  for (const auto& s : all) {
    EXPECT_TRUE(s.error.empty()) << s.error;
    const bool is_a = s.digest == a.digest();
    EXPECT_EQ(s.meta.key, is_a ? a : b);
    EXPECT_EQ(s.n_blocks, is_a ? 2 : 3);
    int64_t tokens = 0;
    for (int32_t i = 0; i < s.n_blocks; ++i) tokens += test::sample_tokens(i);
    EXPECT_EQ(s.n_tokens, tokens);
    EXPECT_GT(s.bytes, 0u);
    EXPECT_EQ(s.meta.shape, test::sample_shape());
  }
  EXPECT_TRUE(store.contains(a));
  store.remove(a);
  EXPECT_FALSE(store.contains(a));
  ASSERT_EQ(store.list().size(), 1u);
  EXPECT_EQ(store.list()[0].digest, b.digest());
  EXPECT_THROW(store.remove(a), CacheError);
  // No trash left behind.
  for (const auto& e : std::filesystem::directory_iterator(store.root())) {
    EXPECT_NE(e.path().filename().string().rfind(".trash-", 0), 0u) << e.path();
  }
}

TEST(CacheStore, UnreadableCacheIsListedWithItsError) {
  const CacheStore store(test::scratch_dir("store_broken"));
  const CacheKey a = test::sample_key();
  build(store, a, 1);
  std::filesystem::remove(store.path_for(a) / kCatalogFileName);
  const auto all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_NE(all[0].error.find("catalog"), std::string::npos) << all[0].error;
  store.remove_dir(all[0].dir);
  EXPECT_TRUE(store.list().empty());
}

TEST(CacheStore, MissingKeyNamesTheClosestCacheAndField) {
  const CacheStore store(test::scratch_dir("store_closest"));
  const CacheKey a = test::sample_key();
  build(store, a, 1);
  CacheKey other = a;
  other.tokenizer_fingerprint = "tok-other";
  const std::string msg = error_of([&] { (void)store.open(other); });
  EXPECT_NE(msg.find("no cache for this configuration"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tokenizer_fingerprint: cache has 'tok-def456', expected 'tok-other'"),
            std::string::npos)
      << msg;
  EXPECT_EQ(store.open(a).n_blocks(), 1);
}

TEST(CacheStore, AppendAddsBlocksAndKeepsOldOnes) {
  const CacheStore store(test::scratch_dir("store_append"));
  const CacheKey key = test::sample_key(KvDtype::Int8);
  build(store, key, 2);
  const BlockCache before = store.open(key);
  {
    CacheWriter w = store.append(key);
    EXPECT_EQ(w.first_new_block(), 2);
    EXPECT_EQ(w.add_block(test::sample_content(2)), 2);
    EXPECT_EQ(w.add_block(test::sample_content(3)), 3);
    test::put_sample_block(w, 3);
    test::put_sample_block(w, 2);
    // Not committed yet: readers see the old catalog only.
    EXPECT_EQ(store.open(key).n_blocks(), 2);
    w.commit();
  }
  const BlockCache after = store.open(key);
  ASSERT_EQ(after.n_blocks(), 4);
  for (int32_t b = 0; b < 2; ++b) EXPECT_EQ(after.block(b).checksum, before.block(b).checksum);
  // The appended blocks equal the same blocks built in one go.
  const CacheStore fresh(test::scratch_dir("store_append_fresh"));
  build(fresh, key, 4);
  const BlockCache whole = fresh.open(key);
  for (int32_t b = 0; b < 4; ++b) {
    EXPECT_EQ(after.block(b).checksum, whole.block(b).checksum) << b;
    EXPECT_EQ(after.block(b).token_ids, whole.block(b).token_ids) << b;
  }
  EXPECT_TRUE(store.verify(store.path_for(key)).ok());
  // An abandoned append leaves the cache as it was (its files removed).
  {
    CacheWriter w = store.append(key);
    w.add_block(test::sample_content(4));
    test::put_sample_block(w, 4);
  }
  EXPECT_EQ(store.open(key).n_blocks(), 4);
  EXPECT_FALSE(std::filesystem::exists(store.path_for(key) / "block-000004.kv"));
}

TEST(CacheStore, AppendWithAnotherKeyIsRefused) {
  const auto root = test::scratch_dir("store_append_key");
  const CacheStore store(root);
  const CacheKey key = test::sample_key();
  build(store, key, 1);
  CacheKey other = key;
  other.grouping = "balanced";
  const std::string msg = error_of([&] { (void)CacheWriter::append(store.path_for(key), &other); });
  EXPECT_NE(msg.find("grouping: cache has 'in-order', expected 'balanced'"), std::string::npos) << msg;
  EXPECT_THROW((void)store.append(other), CacheError);
  EXPECT_THROW((void)store.create(key, test::sample_shape()), CacheError);  // exists already
}

TEST(CacheStore, VerifyReportsEveryDamagedBlockAndLeftovers) {
  const CacheStore store(test::scratch_dir("store_verify"));
  const CacheKey key = test::sample_key();
  build(store, key, 3);
  const auto dir = store.path_for(key);
  EXPECT_TRUE(store.verify(dir).ok());
  for (const char* name : {"block-000000.kv", "block-000002.kv"}) {
    std::fstream f(dir / name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(80);
    f.put('\x7f');
  }
  std::ofstream(dir / "block-000009.kv") << "left over";
  const VerifyReport r = store.verify(dir);
  EXPECT_EQ(r.n_blocks, 3);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("block 0"), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[1].find("block 2"), std::string::npos) << r.problems[1];
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("block-000009.kv"), std::string::npos);

  // Progress reaches every block; returning false cancels after the current one.
  std::vector<double> seen;
  const VerifyReport stopped = store.verify(dir, [&](double f) {
    seen.push_back(f);
    return f < 0.3;  // one of three blocks
  });
  EXPECT_TRUE(stopped.cancelled);
  EXPECT_FALSE(stopped.ok());
  EXPECT_EQ(seen, (std::vector<double>{1.0 / 3}));
  EXPECT_EQ(stopped.problems.size(), 1u);  // only block 0 was checked
}

}  // namespace
}  // namespace dbsa
