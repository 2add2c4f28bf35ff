// Writing caches and reading them back: round trips, assembly against a naive concatenation of the
// inputs, checksum and header damage, key mismatches, catalog schema versions.
#include "cache/block_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "cache/cache_error.h"
#include "cache/cache_writer.h"
#include "kv_test_data.h"
#include "model/dequantize.h"
#include "support/error_of.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

std::filesystem::path build_cache(const std::filesystem::path& root, const CacheKey& key, int32_t n_blocks) {
  CacheWriter w = CacheWriter::create(root, key, test::sample_shape());
  for (int32_t b = 0; b < n_blocks; ++b) EXPECT_EQ(w.add_block(test::sample_content(b)), b);
  for (int32_t b = 0; b < n_blocks; ++b) test::put_sample_block(w, b);
  return w.commit();
}

std::string error_of(const std::function<void()>& f) {
  return test::error_of<CacheError>(f);
}

// Naive reference: the float inputs of the selected blocks, concatenated, each value rounded as the
// dtype stores it (F16), or with the int8 bound checked by the caller.
std::vector<float> naive_concat(const KvShape& s, const std::vector<int32_t>& blocks, int32_t layer,
                                bool is_v) {
  std::vector<float> out;
  for (int32_t b : blocks) {
    const auto x = test::sample_kv(s, b, layer, is_v);
    out.insert(out.end(), x.begin(), x.end());
  }
  return out;
}

TEST(BlockCache, F16RoundTripOfContentAndKv) {
  const auto root = test::scratch_dir("cache_roundtrip_f16");
  const CacheKey key = test::sample_key();
  const auto dir = build_cache(root, key, 4);
  EXPECT_EQ(dir, root / key.digest());
  const BlockCache c = BlockCache::open(dir, &key);
  EXPECT_EQ(c.n_blocks(), 4);
  EXPECT_EQ(c.meta().key, key);
  EXPECT_EQ(c.shape(), test::sample_shape());
  EXPECT_EQ(c.meta().format_version, static_cast<int32_t>(kBlockFormatVersion));
  EXPECT_EQ(c.meta().created_at.size(), 20u);  // 2026-01-01T00:00:00Z
  for (int32_t b = 0; b < 4; ++b) {
    const auto want = test::sample_content(b);
    const auto& got = c.block(b);
    EXPECT_EQ(got.index, b);
    EXPECT_EQ(got.token_ids, want.token_ids);
    EXPECT_EQ(got.demo_ids, want.demo_ids);
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.labels, want.labels);
    EXPECT_EQ(got.byte_length,
              block_file_bytes(c.shape(), KvDtype::F16, static_cast<uint32_t>(want.token_ids.size())));
  }
  const std::vector<int32_t> sel = {0, 2, 3};
  const int64_t n = c.total_tokens(sel);
  EXPECT_EQ(n, test::sample_tokens(0) + test::sample_tokens(2) + test::sample_tokens(3));
  std::vector<float> k(static_cast<std::size_t>(n) * c.shape().row());
  std::vector<float> v(k.size());
  for (int32_t layer = 0; layer < c.shape().n_layer; ++layer) {
    c.assemble(sel, layer, k.data(), v.data());
    const auto nk = naive_concat(c.shape(), sel, layer, false);
    const auto nv = naive_concat(c.shape(), sel, layer, true);
    for (std::size_t i = 0; i < k.size(); ++i) {
      ASSERT_EQ(k[i], f16_to_f32(f32_to_f16(nk[i]))) << "layer " << layer << " i " << i;
      ASSERT_EQ(v[i], f16_to_f32(f32_to_f16(nv[i]))) << "layer " << layer << " i " << i;
    }
  }
}

TEST(BlockCache, Int8AssemblyWithinHalfAStepInAnyBlockOrder) {
  const auto root = test::scratch_dir("cache_roundtrip_int8");
  const CacheKey key = test::sample_key(KvDtype::Int8);
  const auto dir = build_cache(root, key, 5);
  const BlockCache c = BlockCache::open(dir, &key);
  const std::vector<int32_t> sel = {0, 4, 1, 4};  // hi2lo-style order and a repeat
  std::vector<float> k(static_cast<std::size_t>(c.total_tokens(sel)) * c.shape().row());
  std::vector<float> v(k.size());
  const auto& s = c.shape();
  for (int32_t layer = 0; layer < s.n_layer; ++layer) {
    c.assemble(sel, layer, k.data(), v.data());
    std::size_t off = 0;
    for (int32_t b : sel) {
      for (bool is_v : {false, true}) {
        const auto x = test::sample_kv(s, b, layer, is_v);
        const auto& got = is_v ? v : k;
        for (int32_t h = 0; h < s.n_head_kv; ++h) {
          float amax = 0;
          for (std::size_t i = 0; i < x.size(); ++i) {
            if (static_cast<int32_t>((i / s.head_dim) % s.n_head_kv) == h)
              amax = std::max(amax, std::fabs(x[i]));
          }
          for (std::size_t i = 0; i < x.size(); ++i) {
            if (static_cast<int32_t>((i / s.head_dim) % s.n_head_kv) != h) continue;
            ASSERT_LE(std::fabs(got[off + i] - x[i]), amax / 127.0f * 0.5f * (1 + 1e-5f));
          }
        }
      }
      off += static_cast<std::size_t>(test::sample_tokens(b)) * s.row();
    }
  }
  EXPECT_EQ(c.token_ids(sel).size(), static_cast<std::size_t>(c.total_tokens(sel)));
  EXPECT_EQ(c.token_ids(sel).front(), 0);
  EXPECT_EQ(c.token_ids(sel)[static_cast<std::size_t>(test::sample_tokens(0))], 4000);
}

TEST(BlockCache, LayerMajorWritingGivesTheSameCache) {
  const auto root_a = test::scratch_dir("cache_order_a");
  const auto root_b = test::scratch_dir("cache_order_b");
  const CacheKey key = test::sample_key();
  const auto dir_a = build_cache(root_a, key, 3);
  CacheWriter w = CacheWriter::create(root_b, key, test::sample_shape());
  for (int32_t b = 0; b < 3; ++b) w.add_block(test::sample_content(b));
  for (int32_t layer = w.shape().n_layer - 1; layer >= 0; --layer) {
    for (int32_t b = 2; b >= 0; --b) {
      const auto k = test::sample_kv(w.shape(), b, layer, false);
      const auto v = test::sample_kv(w.shape(), b, layer, true);
      w.put_layer(b, layer, k.data(), v.data());
    }
  }
  const auto dir_b = w.commit();
  const BlockCache a = BlockCache::open(dir_a);
  const BlockCache b = BlockCache::open(dir_b);
  for (int32_t i = 0; i < 3; ++i) EXPECT_EQ(a.block(i).checksum, b.block(i).checksum);
}

TEST(BlockCache, FlippedByteIsDetectedNamingFileAndBlock) {
  const auto root = test::scratch_dir("cache_flip");
  const CacheKey key = test::sample_key();
  const auto dir = build_cache(root, key, 3);
  const auto file = dir / "block-000001.kv";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x01);
    f.seekp(100);
    f.write(&c, 1);
  }
  const std::string eager = error_of([&] { (void)BlockCache::open(dir, &key, VerifyMode::All); });
  EXPECT_NE(eager.find(file.string()), std::string::npos) << eager;
  EXPECT_NE(eager.find("block 1"), std::string::npos) << eager;
  EXPECT_NE(eager.find("checksum"), std::string::npos) << eager;

  // Lazy: opening works, untouched blocks assemble, the damaged one fails on first use.
  const BlockCache lazy = BlockCache::open(dir, &key, VerifyMode::Lazy);
  const std::vector<int32_t> good = {0, 2};
  std::vector<float> k(static_cast<std::size_t>(lazy.total_tokens(good)) * lazy.shape().row()), v(k.size());
  lazy.assemble(good, 0, k.data(), v.data());
  const std::vector<int32_t> bad = {0, 1};
  std::vector<float> k2(static_cast<std::size_t>(lazy.total_tokens(bad)) * lazy.shape().row()), v2(k2.size());
  const std::string msg = error_of([&] { lazy.assemble(bad, 0, k2.data(), v2.data()); });
  EXPECT_NE(msg.find("block-000001.kv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("block 1"), std::string::npos) << msg;
  EXPECT_THROW(lazy.verify_all(), CacheError);
}

TEST(BlockCache, TruncatedOrMissingBlockFileIsRefused) {
  const auto root = test::scratch_dir("cache_truncated");
  const CacheKey key = test::sample_key();
  const auto dir = build_cache(root, key, 2);
  std::filesystem::resize_file(dir / "block-000000.kv", 70);
  const std::string msg = error_of([&] { (void)BlockCache::open(dir, &key, VerifyMode::Lazy); });
  EXPECT_NE(msg.find("block-000000.kv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  std::filesystem::remove(dir / "block-000000.kv");
  const std::string missing = error_of([&] { (void)BlockCache::open(dir, &key, VerifyMode::Lazy); });
  EXPECT_NE(missing.find("block-000000.kv"), std::string::npos) << missing;
}

TEST(BlockCache, OtherKeyIsRefusedNamingTheField) {
  const auto root = test::scratch_dir("cache_key_mismatch");
  const CacheKey key = test::sample_key();
  const auto dir = build_cache(root, key, 1);
  CacheKey other_model = key;
  other_model.model_fingerprint = "model-other";
  const std::string msg = error_of([&] { (void)BlockCache::open(dir, &other_model); });
  EXPECT_NE(msg.find("model_fingerprint: cache has 'model-abc123', expected 'model-other'"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("tokenizer_fingerprint"), std::string::npos) << msg;
  CacheKey other_cfg = key;
  other_cfg.pattern.prev = kAllBlocks;
  other_cfg.tokenizer_fingerprint = "tok-x";
  const std::string msg2 = error_of([&] { (void)BlockCache::open(dir, &other_cfg); });
  EXPECT_NE(msg2.find("prev_blocks: cache has '2', expected 'all'"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("tokenizer_fingerprint"), std::string::npos) << msg2;
  EXPECT_NO_THROW((void)BlockCache::open(dir, &key));
}

void set_catalog_sql(const std::filesystem::path& catalog, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(catalog.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(BlockCache, OtherSchemaVersionsAndEditedKeysAreRefused) {
  const auto root = test::scratch_dir("cache_schema");
  const CacheKey key = test::sample_key();
  const auto dir = build_cache(root, key, 1);
  const auto catalog = dir / kCatalogFileName;
  set_catalog_sql(catalog, "PRAGMA user_version = 7");
  const std::string newer = error_of([&] { (void)BlockCache::open(dir); });
  EXPECT_NE(newer.find("schema version 7, this build reads version 2"), std::string::npos) << newer;
  EXPECT_NE(newer.find(catalog.string()), std::string::npos) << newer;
  set_catalog_sql(catalog, "PRAGMA user_version = 1");  // a cache of an older build: no row checksums
  EXPECT_NE(error_of([&] { (void)BlockCache::open(dir); }).find("schema version 1"), std::string::npos);
  set_catalog_sql(catalog, "PRAGMA user_version = 2; UPDATE meta SET sink_blocks = 4");
  const std::string edited = error_of([&] { (void)BlockCache::open(dir); });
  EXPECT_NE(edited.find("table meta: the row's checksum does not match its fields"), std::string::npos)
      << edited;
}

// Every field of a block row is covered by its checksum, and a lost row by meta's block count: what the
// block files' checksums cannot see (tokens, text, labels, demo ids) is refused too.
TEST(BlockCache, EditedOrLostCatalogRowsAreRefused) {
  const CacheKey key = test::sample_key();
  const std::vector<std::string> edits = {
      "UPDATE blocks SET token_ids = zeroblob(length(token_ids)) WHERE block_index = 1",
      "UPDATE blocks SET text = 'tampered' WHERE block_index = 2",
      "UPDATE blocks SET labels = '[\"x\",\"y\"]' WHERE block_index = 0",
      "UPDATE blocks SET demo_ids = '[0,1]' WHERE block_index = 2",
      "UPDATE blocks SET file_name = 'block-000000.kv' WHERE block_index = 1",
  };
  for (const auto& sql : edits) {
    const auto dir = build_cache(test::scratch_dir("cache_rows"), key, 3);
    set_catalog_sql(dir / kCatalogFileName, sql);
    const std::string msg = error_of([&] { (void)BlockCache::open(dir, nullptr, VerifyMode::Lazy); });
    EXPECT_NE(msg.find("the row's checksum does not match its fields"), std::string::npos)
        << sql << ": " << msg;
  }
  const auto dir = build_cache(test::scratch_dir("cache_rows_lost"), key, 3);
  set_catalog_sql(dir / kCatalogFileName, "DELETE FROM blocks WHERE block_index = 2");
  const std::string lost = error_of([&] { (void)BlockCache::open(dir, nullptr, VerifyMode::Lazy); });
  EXPECT_NE(lost.find("2 block rows, table meta records 3"), std::string::npos) << lost;
}

TEST(BlockCache, WriterRefusesIncompleteCommitAndLeavesNothing) {
  const auto root = test::scratch_dir("cache_incomplete");
  const CacheKey key = test::sample_key();
  {
    CacheWriter w = CacheWriter::create(root, key, test::sample_shape());
    w.add_block(test::sample_content(0));
    w.add_block(test::sample_content(1));
    test::put_sample_block(w, 0);
    const auto k = test::sample_kv(w.shape(), 1, 0, false);
    w.put_layer(1, 0, k.data(), k.data());
    const std::string msg = error_of([&] { (void)w.commit(); });
    EXPECT_NE(msg.find("block 1 is missing layer 1"), std::string::npos) << msg;
    EXPECT_THROW(w.put_layer(0, 0, k.data(), k.data()), CacheError);  // block 0 already complete
    EXPECT_THROW(w.put_layer(2, 0, k.data(), k.data()), CacheError);  // never added
    EXPECT_THROW(w.add_block(BlockContent{}), CacheError);            // no tokens
    EXPECT_TRUE(std::filesystem::exists(w.work_dir()));
  }
  // The abandoned writer removed its temporary folder; nothing is visible.
  EXPECT_TRUE(std::filesystem::is_empty(root));
}

TEST(BlockCache, AssembleChecksItsArguments) {
  const auto root = test::scratch_dir("cache_args");
  const CacheKey key = test::sample_key();
  const BlockCache c = BlockCache::open(build_cache(root, key, 2));
  std::vector<float> k(1000), v(1000);
  const std::vector<int32_t> bad_block = {0, 2};
  EXPECT_THROW(c.assemble(bad_block, 0, k.data(), v.data()), CacheError);
  const std::vector<int32_t> ok = {1};
  EXPECT_THROW(c.assemble(ok, 3, k.data(), v.data()), CacheError);
  EXPECT_THROW((void)c.block(-1), CacheError);
  EXPECT_EQ(c.kv_bytes(), c.block(0).byte_length + c.block(1).byte_length);
}

}  // namespace
}  // namespace dbsa
