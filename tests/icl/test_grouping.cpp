#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "icl/bm25_vectors.h"
#include "icl/dataset_loaders.h"
#include "icl/grouping.h"
#include "icl/pool.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

// Whitespace-separated words stand in for tokens (the tests need no tokenizer).
std::size_t word_count(const std::string& s) {
  std::size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n';
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

GroupingInput input_for(const std::vector<Example>& demos, std::size_t block_demos, std::uint64_t seed) {
  GroupingInput in;
  in.demos = &demos;
  in.prompt = PromptTemplate{"query: ", "intent: "};
  in.block_demos = block_demos;
  in.seed = seed;
  in.token_count = word_count;
  return in;
}

const std::vector<Example>& banking_pool() {
  static const std::vector<Example> pool = [] {
    const Dataset ds = load_paper_dataset("banking77", test::data(""));
    return draw_pool(ds.train, 500, 1).demos;
  }();
  return pool;
}

TEST(Grouping, EveryMethodKeepsTheInvariants) {
  const auto& demos = banking_pool();
  for (const auto& name : grouping_names()) {
    for (std::size_t bd : {50u, 37u, 500u}) {
      SCOPED_TRACE(name + " block_demos=" + std::to_string(bd));
      const auto g = make_grouping(name);
      EXPECT_EQ(g->name(), name);
      const Blocks b = g->group(input_for(demos, bd, 3));
      EXPECT_NO_THROW(check_blocks(b, demos.size(), bd));
      EXPECT_EQ(b, g->group(input_for(demos, bd, 3))) << "not deterministic";
    }
  }
  EXPECT_THROW(make_grouping("random"), std::invalid_argument);
  EXPECT_THROW(make_grouping("in-order")->group(input_for(demos, 0, 1)), std::invalid_argument);
  auto no_len = input_for(demos, 50, 1);
  no_len.token_count = nullptr;
  EXPECT_THROW(make_grouping("in-order")->group(no_len), std::invalid_argument);
}

TEST(Grouping, CheckBlocksCatchesBrokenGroupings) {
  EXPECT_NO_THROW(check_blocks({{0, 1}, {2}}, 3, 2));
  EXPECT_THROW(check_blocks({{0, 1}, {1}}, 3, 2), std::logic_error);      // duplicate, 2 missing
  EXPECT_THROW(check_blocks({{0, 1, 2}}, 3, 2), std::logic_error);        // too few blocks / too big
  EXPECT_THROW(check_blocks({{0, 1}, {2}, {}}, 3, 1), std::logic_error);  // wrong count
  EXPECT_THROW(check_blocks({{0, 1}, {5}}, 3, 2), std::logic_error);      // out of range
}

TEST(Grouping, InOrderBalancesTokenLengths) {
  const auto& demos = banking_pool();
  const Blocks b = make_grouping("in-order")->group(input_for(demos, 50, 0));
  ASSERT_EQ(b.size(), 10u);
  std::vector<std::size_t> sums;
  for (const auto& blk : b) {
    EXPECT_EQ(blk.size(), 50u);
    std::size_t s = 0;
    for (std::size_t i : blk)
      s += word_count(format_demo({"query: ", "intent: "}, demos[i].text, demos[i].label));
    sums.push_back(s);
  }
  const auto [lo, hi] = std::minmax_element(sums.begin(), sums.end());
  // Contiguous chunks of the pool differ by far more; the greedy deal keeps blocks within the longest demo.
  std::size_t longest = 0;
  for (const auto& d : demos)
    longest = std::max(longest, word_count(format_demo({"query: ", "intent: "}, d.text, d.label)));
  EXPECT_LE(*hi - *lo, longest) << *lo << ".." << *hi;
}

TEST(Grouping, InOrderDealsLongestFirstToTheLightestBlock) {
  // Lengths 9,8,7,6,5,4 into 2 blocks of 3: round 1 -> b0 = 9, b1 = 8; round 2 (lightest first) ->
  // b1 += 7, b0 += 6; round 3: b0 = 15, b1 = 15 -> b0 += 5, b1 += 4.
  std::vector<Example> demos;
  for (int len : {6, 9, 4, 8, 5, 7})
    demos.push_back({std::string(static_cast<std::size_t>(len), 'x'), "l", 0, 0});
  GroupingInput in = input_for(demos, 3, 0);
  in.prompt = {"", ""};
  in.token_count = [](const std::string& s) { return s.size() - 1; };  // minus the "\n" of the template
  const Blocks b = make_grouping("in-order")->group(in);
  EXPECT_EQ(b, (Blocks{{1, 0, 4}, {3, 5, 2}}));
}

TEST(Grouping, BalancedSpreadsEveryLabelEvenly) {
  const auto& demos = banking_pool();
  const Blocks b = make_grouping("balanced")->group(input_for(demos, 50, 0));
  ASSERT_EQ(b.size(), 10u);
  std::map<std::string, std::size_t> total;
  for (const auto& d : demos) ++total[d.label];
  for (const auto& blk : b) {
    EXPECT_TRUE(std::is_sorted(blk.begin(), blk.end()));
    std::map<std::string, std::size_t> count;
    for (std::size_t i : blk) ++count[demos[i].label];
    for (const auto& [label, n] : total) {
      // StratifiedKFold's round-robin deal gives each block floor or ceil of the label's share, give
      // or take one where the deal wraps between labels.
      const double share = static_cast<double>(n) / 10.0;
      EXPECT_LE(std::abs(static_cast<double>(count[label]) - share), 1.5) << label;
    }
  }
}

TEST(Grouping, BalancedMatchesStratifiedKFoldOnAToyCase) {
  // labels (sorted classes a < b): a a a b b b b, 2 folds. y_sorted = a a a b b b b, dealt round-robin:
  // fold 0 gets positions 0,2,4,6 -> a,a,b,b; fold 1 gets 1,3,5 -> a,b,b.
  std::vector<Example> demos;
  for (const char* l : {"b", "a", "b", "a", "b", "a", "b"}) demos.push_back({"t", l, 0, 0});
  const Blocks blk = make_grouping("balanced")->group(input_for(demos, 4, 0));
  // class a (rows 1,3,5): 2 to fold 0, 1 to fold 1; class b (rows 0,2,4,6): 2 and 2.
  EXPECT_EQ(blk, (Blocks{{0, 1, 2, 3}, {4, 5, 6}}));
}

TEST(Grouping, Bm25ClusterPutsNearDuplicatesTogether) {
  // Four groups of near-duplicates (a word changed, added or dropped), interleaved; blocks of 3 must be
  // the groups.
  const std::vector<std::string> topics[] = {
      {"my card has not arrived yet", "my new card has not arrived yet", "my card has still not arrived yet"},
      {"what exchange rate do you use for euros", "which exchange rate do you use for euros",
       "what exchange rate do you use for euros today"},
      {"i forgot the pin code of my card", "i forgot the pin code of my new card",
       "i forgot my pin code of the card"},
      {"how do i cancel a transfer to a friend", "how can i cancel a transfer to a friend",
       "how do i cancel the transfer to my friend"}};
  std::vector<Example> demos;
  std::vector<int> topic_of;
  for (std::size_t r = 0; r < 3; ++r)
    for (int t = 0; t < 4; ++t) {
      demos.push_back({topics[t][r], "label", 0, 0});
      topic_of.push_back(t);
    }
  for (std::uint64_t seed : {0u, 1u, 2u}) {
    const Blocks b = make_grouping("bm25-cluster")->group(input_for(demos, 3, seed));
    ASSERT_EQ(b.size(), 4u);
    for (const auto& blk : b) {
      ASSERT_EQ(blk.size(), 3u);
      for (std::size_t i : blk) EXPECT_EQ(topic_of[i], topic_of[blk[0]]) << "seed " << seed;
    }
    EXPECT_EQ(b[0][0], 0u);  // clusters numbered by first member
  }
}

TEST(Grouping, SwapMovesTenPercentAndKeepsSizes) {
  const auto& demos = banking_pool();
  const auto base = make_grouping("balanced")->group(input_for(demos, 50, 4));
  const auto swapped = make_grouping("balanced-swap")->group(input_for(demos, 50, 4));
  ASSERT_EQ(base.size(), swapped.size());
  std::size_t moved = 0;
  std::vector<std::size_t> where(demos.size());
  for (std::size_t b = 0; b < base.size(); ++b)
    for (std::size_t i : base[b]) where[i] = b;
  for (std::size_t b = 0; b < swapped.size(); ++b) {
    EXPECT_EQ(swapped[b].size(), base[b].size());
    for (std::size_t i : swapped[b]) moved += where[i] != b;
  }
  // 10 blocks x 5 swaps each; a demo swapped twice may return home, so "about" 10% to 20%.
  EXPECT_GE(moved, 40u);
  EXPECT_LE(moved, 100u);
  EXPECT_NE(swapped, make_grouping("balanced-swap")->group(input_for(demos, 50, 5)));
}

TEST(Bm25Vectors, WeightsFollowBm25Okapi) {
  // Naive BM25Okapi on the analysed terms: three docs, "cat" in two of them.
  const auto v = bm25_vectors({"cat dog", "cat", "bird bird fish"});
  ASSERT_EQ(v.terms, (std::vector<std::string>{"cat", "dog", "bird", "fish"}));
  const double k1 = 1.5, b = 0.75, avg = 6.0 / 3.0;
  double idf_cat = std::log((3 - 2 + 0.5) / (2 + 0.5));  // negative -> eps * mean idf
  const double idf_one = std::log((3 - 1 + 0.5) / (1 + 0.5));
  const double mean = (idf_cat + 3 * idf_one) / 4;
  idf_cat = 0.25 * mean;
  auto w = [&](double idf, double tf, double len) {
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg));
  };
  ASSERT_EQ(v.docs[0].index, (std::vector<std::size_t>{0, 1}));
  EXPECT_NEAR(v.docs[0].value[0], w(idf_cat, 1, 2), 1e-12);
  EXPECT_NEAR(v.docs[0].value[1], w(idf_one, 1, 2), 1e-12);
  EXPECT_NEAR(v.docs[1].value[0], w(idf_cat, 1, 1), 1e-12);
  ASSERT_EQ(v.docs[2].index, (std::vector<std::size_t>{2, 3}));
  EXPECT_NEAR(v.docs[2].value[0], w(idf_one, 2, 3), 1e-12);
  // Stemming and case folding: "Running" and "runs" are one term.
  EXPECT_EQ(bm25_vectors({"Running runs"}).terms.size(), 1u);
}

TEST(GroupingDescription, EveryGroupingHasOneAndUnknownNamesAreRefused) {
  for (const auto& name : grouping_names()) EXPECT_FALSE(grouping_description(name).empty()) << name;
  EXPECT_NE(grouping_description("in-order").find("longest first"), std::string::npos);
  EXPECT_NE(grouping_description("balanced-swap").find("swapped"), std::string::npos);
  EXPECT_THROW(grouping_description("alphabetical"), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
