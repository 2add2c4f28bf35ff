#include <gtest/gtest.h>

#include <set>

#include "icl/pool.h"
#include "icl/seeded_rng.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

std::vector<Example> toy_train(std::size_t n) {
  std::vector<Example> rows;
  for (std::size_t i = 0; i < n; ++i)
    rows.push_back({"text " + std::to_string(i), i % 3 ? "b" : "a", i % 3 ? 1 : 0, i + 1});
  return rows;
}

TEST(SeededRng, MatchesTheStandardEngineAndIsUnbiased) {
  // mt19937_64's 10000th output is fixed by the C++ standard; our draws are built on it.
  SeededRng rng(5489u);
  std::uint64_t v = 0;
  for (int i = 0; i < 10000; ++i) v = rng.next();
  EXPECT_EQ(v, 9981545732273789042ull);
  // below(n) = u mod n when u is below the rejection threshold: check against that naive rule.
  SeededRng a(7), b(7);
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t n = 1 + static_cast<std::uint64_t>(i) * 7919u;
    const std::uint64_t threshold = UINT64_MAX - (UINT64_MAX % n + 1) % n;  // 2^64 - (2^64 mod n), minus 1
    std::uint64_t u;
    do u = b.next();
    while (u > threshold);
    EXPECT_EQ(a.below(n), u % n);
  }
  // Roughly uniform over a small range.
  SeededRng c(1);
  std::vector<int> hist(6, 0);
  for (int i = 0; i < 60000; ++i) ++hist[c.below(6)];
  for (int h : hist) EXPECT_NEAR(h, 10000, 500);
}

TEST(Pool, SameSeedSamePoolOtherSeedOtherPool) {
  const auto train = toy_train(500);
  const Pool a = draw_pool(train, 100, 42), b = draw_pool(train, 100, 42), c = draw_pool(train, 100, 43);
  EXPECT_EQ(a.source_indices, b.source_indices);
  EXPECT_NE(a.source_indices, c.source_indices);
  EXPECT_EQ(pool_fingerprint(a.demos), pool_fingerprint(b.demos));
  EXPECT_NE(pool_fingerprint(a.demos), pool_fingerprint(c.demos));
  // Distinct rows, each demo the row it names.
  EXPECT_EQ(std::set<std::size_t>(a.source_indices.begin(), a.source_indices.end()).size(), 100u);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(a.demos[i].text, train[a.source_indices[i]].text);
  // The draw is the documented partial Fisher-Yates: recompute it naively.
  std::vector<std::size_t> idx(500);
  for (std::size_t i = 0; i < 500; ++i) idx[i] = i;
  SeededRng rng(42);
  for (std::size_t i = 0; i < 100; ++i) std::swap(idx[i], idx[i + rng.below(500 - i)]);
  EXPECT_EQ(a.source_indices, std::vector<std::size_t>(idx.begin(), idx.begin() + 100));
  // The whole split drawn is a permutation.
  const Pool all = draw_pool(train, 500, 9);
  EXPECT_EQ(std::set<std::size_t>(all.source_indices.begin(), all.source_indices.end()).size(), 500u);
  EXPECT_THROW(draw_pool(train, 501, 1), std::invalid_argument);
  EXPECT_THROW(draw_pool(train, 0, 1), std::invalid_argument);
}

TEST(Pool, FingerprintCoversTextLabelAndOrder) {
  std::vector<Example> d{{"ab", "c", 0, 0}, {"x", "y", 1, 0}};
  const auto fp = pool_fingerprint(d);
  EXPECT_EQ(fingerprint_hex(fp).size(), 16u);
  auto swapped = d;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(pool_fingerprint(swapped), fp);
  auto relabelled = d;
  relabelled[1].label = "z";
  EXPECT_NE(pool_fingerprint(relabelled), fp);
  auto shifted = d;  // same bytes, other split between text and label
  shifted[0].text = "a";
  shifted[0].label = "bc";
  EXPECT_NE(pool_fingerprint(shifted), fp);
  auto other_meta = d;  // ids and lines are not part of the pool's identity
  other_meta[0].source_line = 99;
  EXPECT_EQ(pool_fingerprint(other_meta), fp);
  EXPECT_EQ(fingerprint_hex(0x1234), "0000000000001234");
}

TEST(Pool, JsonlRoundTripAndErrors) {
  const auto dir = test::scratch_dir("pool_jsonl");
  std::vector<Example> demos{{"He said \"hi\"\nthen left", "greeting", 0, 0},
                             {"ünïcode ✓", "other label", 1, 0}};
  save_pool_jsonl(demos, dir / "pool.jsonl");
  EXPECT_FALSE(std::filesystem::exists(dir / "pool.jsonl.tmp"));
  std::vector<std::string> labels;
  std::vector<SkippedRow> skipped;
  const auto back = load_pool_jsonl(dir / "pool.jsonl", labels, {}, skipped);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].text, demos[0].text);
  EXPECT_EQ(back[1].text, demos[1].text);
  EXPECT_EQ(back[1].label, "other label");
  EXPECT_EQ(back[1].source_line, 2u);
  EXPECT_EQ(labels, (std::vector<std::string>{"greeting", "other label"}));
  EXPECT_EQ(pool_fingerprint(back), pool_fingerprint(demos));
  // Against a fixed label list, an unknown label names the line.
  std::vector<std::string> fixed{"greeting"};
  try {
    load_pool_jsonl(dir / "pool.jsonl", fixed, {}, skipped);
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find("pool.jsonl:2:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
