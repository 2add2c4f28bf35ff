// `bench dbsa` / `bench encode` as functions (docs/BENCHMARKS.md): every JSON field is present and
// consistent with the run it reports — latencies, KV bytes against the cache itself, ratios against the
// latencies, attention pairs against the causal count. Never a timing assertion: only signs and
// identities that hold however fast the machine is.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

#include "cache/block_format.h"
#include "cache/cache_store.h"
#include "engine/cpu_backend.h"
#include "icl/pool.h"
#include "icl/template.h"
#include "method/encode_bench.h"
#include "method/method_bench.h"
#include "method/method_fixture.h"
#include "util/bench_stats.h"

namespace dbsa {
namespace {

using nlohmann::json;
using test::tiny;

MethodInputs bench_inputs(const test::SmallPool& pool, const std::filesystem::path& root) {
  MethodInputs in = test::method_inputs(pool, 5, 5, root);
  in.query.n_select = 2;
  return in;
}

std::vector<Example> three_queries() {
  return {test::trec().test.begin(), test::trec().test.begin() + 3};
}

void expect_latency(const json& l, size_t n) {
  ASSERT_EQ(l.at("seconds").size(), n);
  const auto s = l.at("seconds").get<std::vector<double>>();
  for (const double x : s) EXPECT_GT(x, 0.0);
  EXPECT_NEAR(l.at("mean_s").get<double>(), std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(n),
              1e-12);
  EXPECT_DOUBLE_EQ(l.at("min_s").get<double>(), *std::min_element(s.begin(), s.end()));
  EXPECT_DOUBLE_EQ(l.at("max_s").get<double>(), *std::max_element(s.begin(), s.end()));
  EXPECT_LE(l.at("min_s").get<double>(), l.at("p50_s").get<double>());
  EXPECT_LE(l.at("p50_s").get<double>(), l.at("p95_s").get<double>());
  EXPECT_LE(l.at("p95_s").get<double>(), l.at("max_s").get<double>());
}

TEST(MethodBench, LatencySummaryUsesTheStatedDefinitions) {
  const LatencySummary s = summarize_latency({3.0, 1.0, 2.0, 4.0});
  EXPECT_EQ(s.seconds, (std::vector<double>{3.0, 1.0, 2.0, 4.0}));  // kept in query order
  EXPECT_DOUBLE_EQ(s.mean_s, 2.5);
  EXPECT_DOUBLE_EQ(s.p50_s, 2.5);
  EXPECT_DOUBLE_EQ(s.p95_s, 3.85);  // sorted 1 2 3 4, h = 3 x 0.95 = 2.85: 3 + 0.85 x (4 - 3)
  EXPECT_DOUBLE_EQ(s.min_s, 1.0);
  EXPECT_DOUBLE_EQ(s.max_s, 4.0);
  EXPECT_EQ(summarize_latency({}).mean_s, 0.0);
  EXPECT_GT(peak_rss_bytes(), 1u << 20);  // this process holds at least a megabyte
  EXPECT_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_EQ(median({}), 0.0);
}

TEST(MethodBench, EveryMethodTimedAndTheJsonIsConsistent) {
  const auto pool = test::small_pool(20, 5, 5);  // 4 blocks x 5 demos
  const auto root = test::scratch_dir("method_bench_store");
  const MethodInputs in = bench_inputs(pool, root);
  const auto queries = three_queries();
  std::vector<std::string> events;
  MethodBenchConfig cfg;
  cfg.on_event = [&](std::string_view m, std::string_view stage) {
    events.push_back(std::string(m) + ":" + std::string(stage));
  };
  cfg.warmup = {test::trec().test.at(3)};  // untimed, not scored, no event
  const MethodBenchReport r = run_method_bench(in, queries, cfg);
  EXPECT_EQ(events.size(), 4u * 4u);  // per method: setup + 3 queries
  EXPECT_EQ(events.front(), "dbsa:setup");

  const json j = json::parse(method_bench_json(r, R"({"blocks": 4, "model": "tiny"})"));
  EXPECT_EQ(j.at("bench"), "dbsa");
  EXPECT_EQ(j.at("blocks"), 4);  // the caller's fields are kept
  EXPECT_EQ(j.at("model"), "tiny");
  EXPECT_EQ(j.at("n_queries"), 3);
  const auto& ms = j.at("methods");
  ASSERT_EQ(ms.size(), 4u);
  std::map<std::string, json> by;
  for (const auto& m : ms) by[m.at("method").get<std::string>()] = m;
  ASSERT_EQ(by.size(), 4u);
  uint64_t rss_before = 0;
  for (const auto& m : ms) {
    SCOPED_TRACE(m.at("method").get<std::string>());
    EXPECT_GE(m.at("setup_s").get<double>(), 0.0);
    expect_latency(m.at("latency"), 3);
    expect_latency(m.at("wall"), 3);
    EXPECT_FALSE(m.contains("device"));  // the CPU backend has no device clock
    ASSERT_EQ(m.at("warmup_seconds").size(), 1u);
    EXPECT_GT(m.at("warmup_seconds").at(0).get<double>(), 0.0);
    // The wall clock around predict() contains the method's own timed stages.
    EXPECT_GE(m.at("wall").at("mean_s").get<double>(), m.at("latency").at("mean_s").get<double>());
    const int correct = m.at("correct");
    EXPECT_GE(correct, 0);
    EXPECT_LE(correct, 3);
    EXPECT_DOUBLE_EQ(m.at("accuracy").get<double>(), correct / 3.0);
    const auto rss = m.at("peak_rss_bytes").get<uint64_t>();
    EXPECT_GE(rss, rss_before);  // a high-water mark never falls
    rss_before = rss;
  }
  EXPECT_GE(j.at("peak_rss_bytes").get<uint64_t>(), rss_before);
  EXPECT_GT(by["dbsa"].at("setup_s").get<double>(), 0.0);
  EXPECT_FALSE(by["dbsa"].at("setup_cache_hit").get<bool>());  // a fresh store
  EXPECT_FALSE(by["cached-icl"].at("setup_cache_hit").get<bool>());

  // KV bytes: dbsa's are its block cache's; the prefix cache's are in memory; the others keep none.
  const BlockCache cache = CacheStore(root).open(block_cache_key(in.manifest, in.demos, in.layout));
  EXPECT_EQ(by["dbsa"].at("kv_bytes").get<uint64_t>(), cache.kv_bytes());
  EXPECT_GT(by["cached-icl"].at("kv_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(by["retrieval-icl"].at("kv_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(by["zero-shot"].at("kv_bytes").get<uint64_t>(), 0u);

  // Context: cached-icl attends the whole pool, dbsa 2 of its 4 blocks, zero-shot nothing.
  int64_t pool_tokens = 0;
  for (const auto& b : cache.blocks()) pool_tokens += b.n_tokens();
  EXPECT_DOUBLE_EQ(by["cached-icl"].at("mean_context_tokens").get<double>(),
                   static_cast<double>(pool_tokens));
  EXPECT_GT(by["dbsa"].at("mean_context_tokens").get<double>(), 0.0);
  EXPECT_LT(by["dbsa"].at("mean_context_tokens").get<double>(), static_cast<double>(pool_tokens));
  EXPECT_EQ(by["zero-shot"].at("mean_context_tokens").get<double>(), 0.0);

  const auto mean = [&](const char* m) { return by[m].at("latency").at("mean_s").get<double>(); };
  const auto& ratios = j.at("ratios");
  EXPECT_NEAR(ratios.at("dbsa_over_cached_icl").get<double>(), mean("dbsa") / mean("cached-icl"), 1e-12);
  EXPECT_NEAR(ratios.at("retrieval_icl_over_dbsa").get<double>(), mean("retrieval-icl") / mean("dbsa"),
              1e-12);
  EXPECT_NEAR(ratios.at("dbsa_over_zero_shot").get<double>(), mean("dbsa") / mean("zero-shot"), 1e-12);
  EXPECT_EQ(j.at("targets").at("retrieval_icl_over_dbsa_min"), 50.0);
  const auto median = [&](const char* m) { return by[m].at("latency").at("p50_s").get<double>(); };
  const auto& r50 = j.at("ratios_p50");
  EXPECT_NEAR(r50.at("dbsa_over_cached_icl").get<double>(), median("dbsa") / median("cached-icl"), 1e-12);
  EXPECT_NEAR(r50.at("retrieval_icl_over_dbsa").get<double>(), median("retrieval-icl") / median("dbsa"),
              1e-12);
  EXPECT_NEAR(r50.at("dbsa_over_zero_shot").get<double>(), median("dbsa") / median("zero-shot"), 1e-12);
  // The stage means add up to the mean latency; only block methods spend time retrieving blocks.
  for (const auto& [name, m] : by) {
    SCOPED_TRACE(name);
    const auto& st = m.at("mean_stages_s");
    EXPECT_NEAR(st.at("retrieval").get<double>() + st.at("assembly").get<double>() +
                    st.at("forward").get<double>() + st.at("decode").get<double>(),
                m.at("latency").at("mean_s").get<double>(), 1e-9);
    EXPECT_GT(st.at("forward").get<double>(), 0.0);
  }
  EXPECT_EQ(by["zero-shot"].at("mean_stages_s").at("retrieval").get<double>(), 0.0);

  // A second run over the same store finds the cache: a hit, the same K/V.
  MethodBenchConfig only_dbsa;
  only_dbsa.methods = {"dbsa"};
  const MethodBenchReport again = run_method_bench(in, queries, only_dbsa);
  ASSERT_EQ(again.methods.size(), 1u);
  EXPECT_TRUE(again.methods[0].setup_cache_hit);
  EXPECT_EQ(again.methods[0].kv_bytes, cache.kv_bytes());
  EXPECT_EQ(again.dbsa_over_cached_icl, 0.0);  // not run: no ratio rather than a made-up one
  EXPECT_EQ(again.dbsa_over_zero_shot_p50, 0.0);

  // full-icl's cache is the dense one: a first full-icl run is no hit although the dbsa cache exists
  // (it used to be checked under dbsa's S/P), a second one is.
  MethodBenchConfig only_full;
  only_full.methods = {"full-icl"};
  EXPECT_FALSE(run_method_bench(in, queries, only_full).methods[0].setup_cache_hit);
  EXPECT_TRUE(run_method_bench(in, queries, only_full).methods[0].setup_cache_hit);
}

// The CPU backend with a device clock of its own, standing in for CUDA's events (no GPU here): the
// bench must bracket every query with it and report what it measured.
class ClockedBackend final : public Backend {
 public:
  struct Clock {
    int starts = 0, stops = 0;
  };
  explicit ClockedBackend(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}
  std::string_view name() const override { return "clocked-cpu"; }
  void matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) override {
    cpu_.matmul(x, n, w, y);
  }
  void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) override {
    cpu_.rms_norm(x, w, y, n_rows, dim, eps);
  }
  void swiglu(const float* gate, const float* up, float* out, int64_t n) override {
    cpu_.swiglu(gate, up, out, n);
  }
  void rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x, int64_t n_tokens,
            int32_t n_heads) override {
    cpu_.rope(p, table, first_row, x, n_tokens, n_heads);
  }
  void attention(const AttentionArgs& args) override { cpu_.attention(args); }
  std::unique_ptr<DeviceTimer> device_timer() override {
    class Timer final : public DeviceTimer {
     public:
      explicit Timer(std::shared_ptr<Clock> c) : c_(std::move(c)) {}
      void start() override { ++c_->starts; }
      // Query k (from 1) "took" k milliseconds on the device.
      double stop_seconds() override { return 1e-3 * ++c_->stops; }

     private:
      std::shared_ptr<Clock> c_;
    };
    return std::make_unique<Timer>(clock_);
  }

 private:
  CpuBackend cpu_{2};
  std::shared_ptr<Clock> clock_;
};

TEST(MethodBench, ReportsTheBackendsDeviceClockPerQuery) {
  const auto pool = test::small_pool(10, 5, 5);
  MethodInputs in = bench_inputs(pool, test::scratch_dir("method_bench_device"));
  auto clock = std::make_shared<ClockedBackend::Clock>();
  LlamaModel clocked(ModelWeights::load(GgufFile::open(test::tiny_model_path())),
                     std::make_shared<ClockedBackend>(clock));
  in.model = &clocked;
  MethodBenchConfig cfg;
  cfg.methods = {"zero-shot", "dbsa"};
  const MethodBenchReport r = run_method_bench(in, three_queries(), cfg);
  EXPECT_EQ(clock->starts, 6);
  EXPECT_EQ(clock->stops, 6);
  ASSERT_EQ(r.methods.size(), 2u);
  EXPECT_EQ(r.methods[0].device.seconds, (std::vector<double>{1e-3, 2e-3, 3e-3}));
  EXPECT_EQ(r.methods[1].device.seconds, (std::vector<double>{4e-3, 5e-3, 6e-3}));
  const json j = json::parse(method_bench_json(r, ""));
  expect_latency(j.at("methods").at(1).at("device"), 3);
  EXPECT_DOUBLE_EQ(j.at("methods").at(1).at("device").at("p50_s").get<double>(), 5e-3);
}

TEST(MethodBench, RefusesNoQueriesAndUnknownMethods) {
  const auto pool = test::small_pool(10, 5, 5);
  const MethodInputs in = bench_inputs(pool, test::scratch_dir("method_bench_refuse"));
  EXPECT_THROW(run_method_bench(in, {}), std::invalid_argument);
  MethodBenchConfig cfg;
  cfg.methods = {"zero-shot", "prefix-tuning"};
  EXPECT_THROW(run_method_bench(in, three_queries(), cfg), std::invalid_argument);
  EXPECT_THROW(method_bench_json(MethodBenchReport{}, "[1]"), std::invalid_argument);
}

TEST(EncodeBench, BlockSparseAndDenseRunsWithTheirGrowth) {
  const CacheManifest man = test::tiny_trec_manifest(0);
  EncodeBenchConfig c;
  c.block_counts = {2, 4};
  c.block_demos = 3;
  c.pattern = {1, 0};
  c.chunk_tokens = 64;
  c.repeats = 3;
  c.scratch_root = test::scratch_dir("encode_bench");
  std::vector<int32_t> encoded;  // pool sizes in the order they were encoded
  c.on_event = [&](std::string_view, int32_t blocks) { encoded.push_back(blocks); };
  const EncodeBenchReport r = run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c);
  // Round-robin over the sizes, per layout.
  EXPECT_EQ(encoded, (std::vector<int32_t>{2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4}));
  EXPECT_TRUE(std::filesystem::is_empty(c.scratch_root));  // the throwaway caches are gone

  const json j = json::parse(encode_bench_json(r, R"({"model": "tiny"})"));
  EXPECT_EQ(j.at("bench"), "encode");
  EXPECT_EQ(j.at("model"), "tiny");
  EXPECT_GT(j.at("peak_rss_bytes").get<uint64_t>(), 0u);
  const auto& runs = j.at("runs");
  ASSERT_EQ(runs.size(), 4u);
  const KvShape shape{static_cast<int32_t>(tiny().model->hparams().n_layer),
                      static_cast<int32_t>(tiny().model->hparams().n_head_kv),
                      static_cast<int32_t>(tiny().model->hparams().head_dim)};
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(run.at("layout"), i < 2 ? "block-sparse" : "dense");
    EXPECT_EQ(run.at("blocks"), c.block_counts[i % 2]);
    EXPECT_EQ(run.at("demos"), 3 * c.block_counts[i % 2]);
    const auto n = run.at("tokens").get<int64_t>();
    EXPECT_GT(n, 0);
    EXPECT_GT(run.at("encode_s").get<double>(), 0.0);
    auto samples = run.at("encode_s_repeats").get<std::vector<double>>();
    ASSERT_EQ(samples.size(), 3u);
    std::sort(samples.begin(), samples.end());
    EXPECT_DOUBLE_EQ(run.at("encode_s").get<double>(), samples[1]);  // the median
    EXPECT_GE(run.at("total_s").get<double>(), run.at("encode_s").get<double>());
    EXPECT_NEAR(run.at("tokens_per_s").get<double>(),
                static_cast<double>(n) / run.at("encode_s").get<double>(),
                1e-6 * static_cast<double>(n) / run.at("encode_s").get<double>());
    // F16 K and V of every layer, head and token, plus one header per block file.
    EXPECT_EQ(run.at("kv_bytes").get<uint64_t>(),
              static_cast<uint64_t>(n) * 2u * 2u * shape.row() * static_cast<uint64_t>(shape.n_layer) +
                  static_cast<uint64_t>(run.at("blocks").get<int>()) * kBlockHeaderBytes);
    const auto pairs = run.at("visible_pairs").get<int64_t>();
    // The arithmetic, counted here from the shapes: q, k, v, o and the three FFN matrices per token and
    // layer, q·k and p·v per visible pair, head and layer; no output head (an encode computes no logits).
    const auto& hp = tiny().model->hparams();
    const double q_dim = static_cast<double>(hp.n_head) * hp.head_dim;
    const double kv_dim = static_cast<double>(hp.n_head_kv) * hp.head_dim;
    const double matmul_per_token =
        2.0 * hp.n_embd * (2.0 * q_dim + 2.0 * kv_dim + 3.0 * hp.n_ff) * hp.n_layer;
    const double attention = 2.0 * 2.0 * q_dim * static_cast<double>(pairs) * hp.n_layer;
    EXPECT_NEAR(run.at("gflop").get<double>(), (matmul_per_token * static_cast<double>(n) + attention) * 1e-9,
                1e-9 * run.at("gflop").get<double>());
    EXPECT_NEAR(run.at("attention_gflop").get<double>(), attention * 1e-9, 1e-6 * attention * 1e-9);
    EXPECT_NEAR(run.at("gflop_per_s").get<double>(),
                run.at("gflop").get<double>() / run.at("encode_s").get<double>(),
                1e-9 * run.at("gflop_per_s").get<double>());
    if (i >= 2) {
      EXPECT_EQ(pairs, n * (n + 1) / 2);  // dense: causal attention over the whole pool
    }
  }
  // The same pools in both layouts; with S = 1, P = 0 and 4 blocks, block-sparse attends less.
  EXPECT_EQ(runs[0].at("tokens"), runs[2].at("tokens"));
  EXPECT_EQ(runs[1].at("tokens"), runs[3].at("tokens"));
  EXPECT_LT(runs[1].at("visible_pairs").get<int64_t>(), runs[3].at("visible_pairs").get<int64_t>());

  const auto& growth = j.at("growth");
  ASSERT_EQ(growth.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    const auto& from = runs[2 * g];
    const auto& to = runs[2 * g + 1];
    EXPECT_EQ(growth[g].at("layout"), from.at("layout"));
    EXPECT_EQ(growth[g].at("from_blocks"), 2);
    EXPECT_EQ(growth[g].at("to_blocks"), 4);
    EXPECT_NEAR(growth[g].at("time_ratio").get<double>(),
                to.at("encode_s").get<double>() / from.at("encode_s").get<double>(), 1e-9);
    EXPECT_NEAR(growth[g].at("tokens_ratio").get<double>(),
                to.at("tokens").get<double>() / from.at("tokens").get<double>(), 1e-12);
    EXPECT_NEAR(growth[g].at("work_ratio").get<double>(),
                to.at("gflop").get<double>() / from.at("gflop").get<double>(), 1e-12);
  }
}

// docs/METHOD.md "Benchmarks" sizes pools in tokens (N, 2N, 4N): each pool is the shortest prefix of the
// seeded draw holding N tokens of formatted demonstrations (no BOS), counted here independently.
TEST(EncodeBench, PoolSizesInTokensAreTheShortestDrawsHoldingThem) {
  const CacheManifest man = test::tiny_trec_manifest(0);
  EncodeBenchConfig c;
  c.token_counts = {150, 300};
  c.block_demos = 4;
  c.chunk_tokens = 64;
  c.dense = false;
  c.scratch_root = test::scratch_dir("encode_bench_tokens");
  const EncodeBenchReport r = run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c);
  const auto demo_tokens = [&](size_t n) {
    EncodeOptions eo;
    eo.add_bos = false;
    int64_t sum = 0;
    for (const auto& d : draw_pool(test::trec().train, n, c.seed).demos)
      sum += static_cast<int64_t>(tiny().tok->encode(format_demo(man.prompt, d.text, d.label), eo).size());
    return sum;
  };
  ASSERT_EQ(r.runs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const auto& run = r.runs[i];
    EXPECT_EQ(run.requested_tokens, c.token_counts[i]);
    const auto n = static_cast<size_t>(run.demos);
    ASSERT_GT(n, 1u);
    EXPECT_GE(demo_tokens(n), c.token_counts[i]);
    EXPECT_LT(demo_tokens(n - 1), c.token_counts[i]);
    EXPECT_EQ(run.blocks, static_cast<int32_t>((n + 3) / 4));
  }
  ASSERT_EQ(r.growth.size(), 1u);
  EXPECT_TRUE(r.growth[0].doubled);
  EXPECT_EQ(r.growth[0].from_blocks, r.runs[0].blocks);
  const auto j = json::parse(encode_bench_json(r));
  EXPECT_EQ(j.at("runs")[1].at("requested_tokens"), 300);
  EXPECT_EQ(j.at("growth")[0].at("doubled"), true);

  c.token_counts = {150, 301};  // not a doubling: no target applies
  c.repeats = 1;
  EXPECT_FALSE(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c).growth[0].doubled);
}

TEST(EncodeBench, RefusesBadPoolSizes) {
  CacheManifest man;
  man.prompt = test::trec().prompt;
  man.labels = test::trec().labels;
  EncodeBenchConfig c;
  c.scratch_root = test::scratch_dir("encode_bench_refuse");
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.block_counts = {0};
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.block_counts = {1};
  c.repeats = 0;
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.repeats = 1;
  c.block_counts = {static_cast<int32_t>(test::trec().train.size())};  // x 50 demos: more than the split
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.block_counts = {1};
  c.token_counts = {100};  // both kinds of size
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.block_counts.clear();
  c.token_counts = {0};
  EXPECT_THROW(run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c),
               std::invalid_argument);
  c.token_counts = {int64_t{1} << 40};  // more tokens than the whole split holds
  try {
    run_encode_bench(*tiny().model, *tiny().tok, man, test::trec().train, c);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the training split"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
