// Writes the seed corpora of the block_view and cache_folder fuzzers from caches made by the real
// CacheWriter, so the seeds follow the block format and catalog schema of this build: regenerate them
// after changing either (see README.md).
// Usage: cache_fuzz_seeds BLOCK_VIEW_DIR CACHE_FOLDER_DIR
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cache/cache_catalog.h"
#include "cache/cache_key.h"
#include "cache/cache_writer.h"

#include "block_view_harness.h"
#include "cache_folder_harness.h"

namespace {

using namespace dbsa;

struct SeedCache {
  std::string name;
  KvDtype dtype;
  KvShape shape;
  std::vector<int32_t> tokens_per_block;
  int32_t appended = 0;  // blocks added by a second writer (CacheWriter::append)
};

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CacheKey seed_key(KvDtype dtype) {
  CacheKey k;
  k.model_fingerprint = "model-fuzz";
  k.tokenizer_fingerprint = "tok-fuzz";
  k.pool_fingerprint = "pool-fuzz";
  k.block_demos = 2;
  k.grouping = "in-order";
  k.dtype = dtype;
  return k;
}

// Deterministic K/V with a different magnitude per head and a zero head in the last layer (int8 scale 0).
std::vector<float> kv(const KvShape& s, int32_t block, int32_t layer, bool is_v, int32_t n_tokens) {
  std::vector<float> x(static_cast<std::size_t>(n_tokens) * s.row());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto head = static_cast<int32_t>((i % s.row()) / static_cast<std::size_t>(s.head_dim));
    const bool zero = layer == s.n_layer - 1 && head == s.n_head_kv - 1 && s.n_head_kv > 1;
    x[i] = zero ? 0.0f
                : (1.0f + 4.0f * static_cast<float>(head)) *
                      std::sin(static_cast<float>(i * 7 + static_cast<std::size_t>(block * 13 + layer * 3)) +
                               (is_v ? 0.5f : 0.0f));
  }
  return x;
}

void add_blocks(CacheWriter& w, const SeedCache& c, std::size_t first, std::size_t count) {
  for (std::size_t b = first; b < first + count; ++b) {
    BlockContent content;
    for (int32_t t = 0; t < c.tokens_per_block[b]; ++t)
      content.token_ids.push_back(static_cast<int32_t>(100 * b) + t);
    content.demo_ids = {static_cast<int64_t>(2 * b), static_cast<int64_t>(2 * b + 1)};
    content.text = "Question: where " + std::to_string(b) + "?\nType: location\n\n\u00fcnicode \"q\", c";
    content.labels = {"location", "numeric value"};
    const int32_t index = w.add_block(std::move(content));
    for (int32_t l = 0; l < c.shape.n_layer; ++l) {
      const auto k = kv(c.shape, index, l, false, c.tokens_per_block[b]);
      const auto v = kv(c.shape, index, l, true, c.tokens_per_block[b]);
      w.put_layer(index, l, k.data(), v.data());
    }
  }
}

// The catalog re-packed into 512-byte pages (VACUUM keeps every row): a seed of a few KB, not 3 x 4 KB.
std::string small_catalog(const std::filesystem::path& catalog, const std::filesystem::path& tmp) {
  std::filesystem::copy_file(catalog, tmp, std::filesystem::copy_options::overwrite_existing);
  sqlite3* db = nullptr;
  if (sqlite3_open(tmp.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA page_size = 512; VACUUM;", nullptr, nullptr, nullptr) != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot re-pack " + tmp.string() + ": " + msg);
  }
  sqlite3_close(db);
  return read_bytes(tmp);
}

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BLOCK_VIEW_DIR CACHE_FOLDER_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path view_dir = argv[1], folder_dir = argv[2];
  std::filesystem::create_directories(view_dir);
  std::filesystem::create_directories(folder_dir);
  const auto work =
      std::filesystem::temp_directory_path() / ("dbsa-cache-seeds-" + std::to_string(::getpid()));
  std::filesystem::remove_all(work);
  const std::vector<SeedCache> caches = {
      {"f16_1x1x4", KvDtype::F16, {1, 1, 4}, {2}, 0},
      {"f16_2x2x8", KvDtype::F16, {2, 2, 8}, {3, 1, 5}, 0},
      {"int8_2x2x4", KvDtype::Int8, {2, 2, 4}, {4, 2}, 0},
      {"f16_appended", KvDtype::F16, {1, 2, 4}, {2, 3}, 1},
  };
  int views = 0, folders = 0;
  for (const auto& c : caches) {
    const auto root = work / c.name;
    const CacheKey key = seed_key(c.dtype);
    const auto created = c.tokens_per_block.size() - static_cast<std::size_t>(c.appended);
    std::filesystem::path dir;
    {
      // Released before the append below: a writer holds the cache's lock for its whole life.
      CacheWriter w = CacheWriter::create(root, key, c.shape);
      add_blocks(w, c, 0, created);
      dir = w.commit();
    }
    if (c.appended > 0) {
      CacheWriter a = CacheWriter::append(dir, &key);
      add_blocks(a, c, created, static_cast<std::size_t>(c.appended));
      a.commit();
    }
    std::vector<std::pair<std::string, std::string>> files = {
        {kCatalogFileName, small_catalog(dir / kCatalogFileName, work / "repack.sqlite")}};
    std::vector<std::string> blocks;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().filename() != kCatalogFileName) blocks.push_back(e.path().filename().string());
    std::sort(blocks.begin(), blocks.end());
    for (const auto& b : blocks) {
      files.emplace_back(b, read_bytes(dir / b));
      write(view_dir / (c.name + "_" + b), std::string(1, '\0') + files.back().second);
      ++views;
    }
    write(folder_dir / (c.name + ".seed"), fuzz::cache_folder_input(0, files));
    write(folder_dir / (c.name + "_lazy.seed"), fuzz::cache_folder_input(fuzz::kVerifyLazy, files));
    folders += 2;
  }
  // A claim that disagrees with the header (the view must refuse it).
  std::string claim = read_bytes(view_dir / "f16_1x1x4_block-000000.kv");
  claim[0] = static_cast<char>(fuzz::kClaimMoreTokens);
  write(view_dir / "claim_more_tokens.kv", claim);
  ++views;
  std::filesystem::remove_all(work);
  std::printf("wrote %d block_view seeds to %s and %d cache_folder seeds to %s\n", views, view_dir.c_str(),
              folders, folder_dir.c_str());
  return 0;
}
