// Options of an evaluation without any file: shard parsing and the shard split, presets, sweeps, and
// the checks that must reject a command before it writes anything.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

#include "eval/eval_config.h"
#include "eval/paper_presets.h"
#include "eval/sweep.h"
#include "eval/work_units.h"
#include "support/error_of.h"

namespace dbsa {
namespace {

EvalConfig valid_config() {
  EvalConfig c;
  c.model = "m.gguf";
  c.dataset = "trec";
  c.data_dir = "data";
  c.db = "r.sqlite";
  c.blocks = 4;
  c.block_demos = 10;
  c.select = 2;
  return c;
}

std::string message_of(const std::function<void()>& f) {
  return test::error_of(f);
}

TEST(EvalConfig, ShardParsing) {
  const ShardSpec s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.text(), "2/5");
  EXPECT_EQ(parse_shard("0/1").text(), "");
  for (const char* bad : {"5/5", "-1/3", "1", "a/2", "1/0", "1/2/3", "/2"})
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

TEST(EvalConfig, CountsAndMethods) {
  EXPECT_EQ(parse_block_count("all", "--sink"), kAllBlocks);
  EXPECT_EQ(parse_block_count("3", "--sink"), 3);
  EXPECT_THROW(parse_block_count("-2", "--sink"), std::invalid_argument);
  EXPECT_THROW(parse_block_count("two", "--sink"), std::invalid_argument);
  EXPECT_THROW(parse_block_count("0", "--select", 1), std::invalid_argument);
  EXPECT_EQ(message_of([] { parse_block_count("3x", "--select", 1); }),
            "--select must be a block count >= 1 or 'all', got '3x'");
  EXPECT_EQ(block_count_text(kAllBlocks), "all");
  EXPECT_EQ(parse_method_list("dbsa,zero-shot"), (std::vector<std::string>{"dbsa", "zero-shot"}));
  const std::string m = message_of([] { parse_method_list("dbsa,prefix-tuning"); });
  EXPECT_NE(m.find("unknown method 'prefix-tuning'"), std::string::npos) << m;
  EXPECT_THROW(parse_method_list("dbsa,dbsa"), std::invalid_argument);
  EXPECT_THROW(parse_method_list(""), std::invalid_argument);
}

TEST(EvalConfig, ValidationNamesTheOption) {
  EXPECT_NO_THROW(validate_config(valid_config()));
  auto c = valid_config();
  c.select = 5;
  const std::string m = message_of([&] { validate_config(c); });
  EXPECT_NE(m.find("--select 5 is larger than --blocks 4"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  c.select = kAllBlocks;  // every block of the pool
  EXPECT_NO_THROW(validate_config(c));
  EXPECT_EQ(selected_blocks(c), 4);
  c.select = 0;
  EXPECT_NE(message_of([&] { validate_config(c); }).find("--select must be >= 1 or 'all'"),
            std::string::npos);
  c = valid_config();
  c.methods = {"dbsa", "lora"};
  EXPECT_NE(message_of([&] { validate_config(c); }).find("unknown method 'lora'"), std::string::npos);
  c = valid_config();
  c.grouping = "random";
  EXPECT_NE(message_of([&] { validate_config(c); }).find("--grouping"), std::string::npos);
  c = valid_config();
  c.order = "sideways";
  EXPECT_NE(message_of([&] { validate_config(c); }).find("--order"), std::string::npos);
  c = valid_config();
  c.db.clear();
  EXPECT_NE(message_of([&] { validate_config(c); }).find("--db"), std::string::npos);
  c = valid_config();
  c.runs = 0;
  EXPECT_THROW(validate_config(c), std::invalid_argument);
  c = valid_config();
  c.grouping = "bm25-cluster-swap";
  EXPECT_NO_THROW(validate_config(c));
}

TEST(EvalConfig, DefaultCacheDirSitsNextToTheDatabase) {
  EXPECT_EQ(default_cache_dir("out/results.sqlite"), std::filesystem::path("out/results.kvcache"));
  auto c = valid_config();
  EXPECT_TRUE(needs_block_store(c));
  c.methods = {"cached-icl", "zero-shot"};
  EXPECT_FALSE(needs_block_store(c));
  c.cache_dir = "elsewhere";
  EXPECT_EQ(effective_cache_dir(c), std::filesystem::path("elsewhere"));
}

TEST(PaperPresets, TableOfDesignSection1) {
  const std::map<std::string, std::pair<int, int>> at30k = {{"banking77", {16, 6}},
                                                            {"clinic150", {20, 7}},
                                                            {"nlu", {22, 7}},
                                                            {"trec", {21, 7}},
                                                            {"trec-fine", {20, 7}}};
  for (const auto& [ds, bs] : at30k)
    for (int scale = 1; scale <= 3; ++scale) {
      const auto p = paper_preset("paper-" + std::to_string(30 * scale) + "k", ds);
      EXPECT_EQ(p.blocks, bs.first * scale) << ds;
      EXPECT_EQ(p.select, bs.second * scale) << ds;
      EXPECT_EQ(p.block_demos, 50);
      EXPECT_EQ(p.pattern, (BlockLayout{1, 2}));
      EXPECT_EQ(p.grouping, "in-order");
      EXPECT_EQ(p.order, "in-order");
    }
  EXPECT_THROW(paper_preset("paper-120k", "trec"), std::invalid_argument);
  EXPECT_THROW(paper_preset("paper-30k", "imdb"), std::invalid_argument);
}

TEST(Sweep, CartesianProductOfTheVariedKnobs) {
  const auto sink = parse_vary("sink=0,1,2");
  const auto prev = parse_vary("prev=0,1,2,all");
  EXPECT_EQ(sink.knob, "sink");
  EXPECT_EQ(prev.values.size(), 4u);
  const auto points = expand_sweep(valid_config(), {sink, prev});
  ASSERT_EQ(points.size(), 12u);
  std::set<std::pair<int, int>> seen;
  for (const auto& p : points) {
    EXPECT_EQ(p.blocks, 4);  // untouched knobs keep the base value
    seen.insert({p.pattern.sink, p.pattern.prev});
  }
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(points.front().pattern.sink, 0);  // first axis outermost
  EXPECT_EQ(points[3].pattern.prev, kAllBlocks);
  EXPECT_EQ(points[4].pattern.sink, 1);
  EXPECT_EQ(expand_sweep(valid_config(), {parse_vary("select=2,all")})[1].select, kAllBlocks);

  const auto more = expand_sweep(
      valid_config(), {parse_vary("grouping=in-order,balanced"), parse_vary("order=hi2lo"),
                       parse_vary("block-demos=5"), parse_vary("blocks=6"), parse_vary("select=3")});
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[1].grouping, "balanced");
  EXPECT_EQ(more[1].order, "hi2lo");
  EXPECT_EQ(more[1].block_demos, 5);
  EXPECT_EQ(more[1].blocks, 6);
  EXPECT_EQ(more[1].select, 3);

  for (const char* bad : {"temperature=1,2", "sink", "sink=", "sink=1,1", "select=0", "prev=-1"})
    EXPECT_THROW(expand_sweep(valid_config(), {parse_vary(bad)}), std::invalid_argument) << bad;
  EXPECT_THROW(expand_sweep(valid_config(), {sink, sink}), std::invalid_argument);
  EXPECT_EQ(expand_sweep(valid_config(), {}).size(), 1u);
}

TEST(WorkUnits, ShardsCoverEveryUnitExactlyOnce) {
  auto c = valid_config();
  c.runs = 3;
  auto c2 = c;
  c2.pattern.sink = 0;
  const std::vector<EvalConfig> points{c, c2};
  const auto all = all_work_units(points);
  ASSERT_EQ(all.size(), 2u * 3u * 5u);
  for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k].ordinal, static_cast<int64_t>(k));
  EXPECT_EQ(all_work_units(points), all);  // the same enumeration in every process
  for (int32_t n = 1; n <= 7; ++n) {
    std::map<int64_t, int> covered;
    size_t smallest = all.size(), largest = 0;
    for (int32_t i = 0; i < n; ++i) {
      const auto mine = shard_units(all, ShardSpec{i, n});
      EXPECT_EQ(shard_units(all, ShardSpec{i, n}), mine);  // stable
      smallest = std::min(smallest, mine.size());
      largest = std::max(largest, mine.size());
      for (const auto& u : mine) ++covered[u.ordinal];
    }
    EXPECT_EQ(covered.size(), all.size()) << n;
    for (const auto& [ordinal, times] : covered) EXPECT_EQ(times, 1) << "unit " << ordinal << " n=" << n;
    EXPECT_LE(largest - smallest, 1u) << "shards of n=" << n << " are unbalanced";
  }
}

}  // namespace
}  // namespace dbsa
