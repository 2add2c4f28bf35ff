// The cache folder's files besides its blocks: the manifest (method.json) and the sealed retrieval
// indexes, with the rules for when a stored index serves a cache.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cache/cache_error.h"
#include "cache/cache_index.h"
#include "cache/cache_manifest.h"
#include "support/error_of.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

CacheManifest sample_manifest() {
  CacheManifest m;
  m.model_path = "/models/m.gguf";
  m.model_fingerprint = "0123";
  m.tokenizer_fingerprint = "4567";
  m.dataset = "trec";
  m.prompt = {"Question: ", "Type: "};
  m.labels = {"abbreviation", "entity"};
  m.seed = 7;
  m.n_demos = 12;
  return m;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

TEST(CacheManifest, RoundTripsAndRefusesAnEditedOrIncompleteFile) {
  const auto dir = test::scratch_dir("manifest_round_trip");
  const auto m = sample_manifest();
  write_manifest(dir, m);
  EXPECT_EQ(read_manifest(dir), m);

  // Editing a field without its checksum is refused (the file still parses).
  std::ifstream in(dir / kManifestFileName);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("\"n_demos\": 12");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 13, "\"n_demos\": 13");
  write_text(dir / kManifestFileName, text);
  EXPECT_NE(test::error_of([&] { read_manifest(dir); }).find("checksum does not match"), std::string::npos);

  write_text(dir / kManifestFileName, "{\"version\": 2}");
  EXPECT_NE(test::error_of([&] { read_manifest(dir); }).find("missing field 'checksum'"), std::string::npos);
  write_text(dir / kManifestFileName, "{\"version\": ");
  EXPECT_NE(test::error_of([&] { read_manifest(dir); }).find("invalid JSON"), std::string::npos);
  EXPECT_NE(test::error_of([&] { read_manifest(dir / "absent"); }).find("does not exist"), std::string::npos);
}

TEST(CacheIndex, AStoredIndexIsFoundVerifiedAndMatchedToTheBlockCount) {
  const auto cache_dir = test::scratch_dir("cache_index");
  EXPECT_TRUE(stored_cache_index(cache_dir, kBm25IndexName).empty());  // none written yet
  write_cache_index(cache_dir, kBm25IndexName,
                    [](const std::filesystem::path& tmp) { write_text(tmp / "postings", "abc"); });
  const auto dir = stored_cache_index(cache_dir, kBm25IndexName);
  EXPECT_EQ(dir, cache_dir / "bm25");
  EXPECT_EQ(dense_index_name(3), "dense-l3");

  std::string note;
  EXPECT_TRUE(stored_index_covers(dir, 4, 4, &note));
  EXPECT_TRUE(note.empty());
  EXPECT_FALSE(stored_index_covers(dir, 3, 4, &note));  // an append has not swapped it in: rebuilt
  EXPECT_NE(note.find("covers 3 of the cache's 4 blocks"), std::string::npos) << note;
  EXPECT_THROW(stored_index_covers(dir, 5, 4, &note), CacheError);  // another cache's index

  write_text(dir / "postings", "abd");  // same size, changed byte: the seal refuses it
  EXPECT_NE(test::error_of([&] { stored_cache_index(cache_dir, kBm25IndexName); }).find("postings"),
            std::string::npos);
}

}  // namespace
}  // namespace dbsa
