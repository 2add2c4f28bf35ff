// "A corrupt cache is refused" for the whole cache folder: a byte flipped anywhere in it —
// block files, the catalog, method.json, the BM25 index, a dense index, their seals — is either refused
// (on open or on first use) or changes nothing that any reader gets back. Never silently different data.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cache/block_cache.h"
#include "cache/cache_index.h"
#include "cache/cache_store.h"
#include "cache/sealed_dir.h"
#include "method/cache_builder.h"
#include "method/dense_block_retriever.h"
#include "method/method_fixture.h"

namespace dbsa {
namespace {

// Everything a reader of the cache gets back, in comparable form.
struct Readout {
  CacheManifest manifest;
  std::vector<std::string> rows;  // every field of every catalog row
  std::vector<float> kv;          // every layer's K and V of every block
  std::vector<RetrievalHit> bm25, dense;
  bool operator==(const Readout&) const = default;
};

const char* const kQuery = "What is the capital of France ?";

Readout read_everything(const std::filesystem::path& dir) {
  Readout r;
  r.manifest = read_manifest(dir);
  const BlockCache c = BlockCache::open(dir, nullptr, VerifyMode::Lazy);
  for (const auto& b : c.blocks()) {
    std::string row = std::to_string(b.index) + "|" + b.text + "|" + b.file_name + "|" +
                      std::to_string(b.byte_offset) + "|" + std::to_string(b.byte_length) + "|" +
                      std::to_string(b.checksum);
    for (auto id : b.demo_ids) row += "," + std::to_string(id);
    for (auto t : b.token_ids) row += ";" + std::to_string(t);
    for (const auto& l : b.labels) row += "|" + l;
    r.rows.push_back(row);
  }
  r.rows.push_back(c.meta().key.digest() + "|" + c.meta().created_at + "|" +
                   std::to_string(c.shape().n_layer));
  for (int32_t b = 0; b < c.n_blocks(); ++b) {
    const int32_t one[] = {b};
    const size_t n = static_cast<size_t>(c.block(b).n_tokens()) * c.shape().row();
    for (int32_t layer = 0; layer < c.shape().n_layer; ++layer) {
      std::vector<float> k(n), v(n);
      c.assemble(one, layer, k.data(), v.data());
      r.kv.insert(r.kv.end(), k.begin(), k.end());
      r.kv.insert(r.kv.end(), v.begin(), v.end());
    }
  }
  r.bm25 = open_block_bm25(c)->search(kQuery, 4);
  r.dense = open_block_dense(*test::tiny().model, *test::tiny().tok, c, 1)->search(kQuery, 4);
  return r;
}

void flip(const std::filesystem::path& file, uint64_t offset, char mask) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  c = static_cast<char>(c ^ mask);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(c);
}

TEST(CacheIntegrity, AFlippedByteAnywhereInTheCacheFolderIsRefusedOrHarmless) {
  const auto pool = test::small_pool(12, 4, 5);
  PreEncodeOptions o;
  o.chunk_tokens = 64;
  const CacheStore store(test::scratch_dir("integrity"));
  CacheLayoutSpec spec;
  spec.block_demos = 4;
  const auto man = test::tiny_trec_manifest(5);
  const auto built =
      build_block_cache(*test::tiny().model, *test::tiny().tok, store, block_cache_key(man, pool.demos, spec),
                        man, pool.demos, pool.blocks, o);
  const auto dir = built.dir;
  const Readout original = read_everything(dir);  // also writes the sealed dense index (dense-l1/)
  ASSERT_TRUE(std::filesystem::is_directory(dir / dense_index_name(1)));
  ASSERT_TRUE(std::filesystem::is_directory(dir / std::string(kBm25IndexName)));
  ASSERT_EQ(read_everything(dir), original);  // the second read uses the saved dense index

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  ASSERT_GE(files.size(), 8u);
  int trials = 0, refused = 0;
  for (const auto& file : files) {
    const uint64_t size = std::filesystem::file_size(file);
    // Every byte of small files; 200 spread over larger ones (headers, data, and the last byte).
    std::vector<uint64_t> offsets;
    const uint64_t n = std::min<uint64_t>(size, 200);
    for (uint64_t i = 0; i < n; ++i) offsets.push_back(size <= 200 ? i : i * (size - 1) / (n - 1));
    for (const uint64_t at : offsets) {
      const char mask = (at % 2) ? char(0x01) : char(0x40);
      flip(file, at, mask);
      ++trials;
      try {
        const Readout r = read_everything(dir);
        EXPECT_TRUE(r == original) << "byte " << at << " of " << file << " flipped: read back different data";
      } catch (const std::exception&) {
        ++refused;
      }
      flip(file, at, mask);  // restore
    }
  }
  ASSERT_EQ(read_everything(dir), original);
  EXPECT_TRUE(store.verify(dir).ok());
  flip(dir / std::string(kBm25IndexName) / kSealFileName, 10,
       0x01);  // the studio's Verify checks the indexes too
  const VerifyReport damaged = store.verify(dir);
  ASSERT_EQ(damaged.problems.size(), 1u);
  EXPECT_NE(damaged.problems[0].find(kSealFileName), std::string::npos) << damaged.problems[0];
  flip(dir / std::string(kBm25IndexName) / kSealFileName, 10, 0x01);
  // Most flips must be caught (the harmless ones are bytes no reader looks at, e.g. SQLite's free space).
  EXPECT_GT(refused, trials / 2) << refused << " of " << trials;
  std::printf("%d flips over %zu files: %d refused, the rest read back identical data\n", trials,
              files.size(), refused);
}

}  // namespace
}  // namespace dbsa
