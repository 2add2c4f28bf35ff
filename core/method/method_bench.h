#pragma once
// `dbsa bench dbsa` (docs/METHOD.md "Benchmarks", docs/BENCHMARKS.md): the methods run one after another in
// one process over the same pool and the same test queries, each timed through the Method interface: setup
// seconds (was the block cache already in the store?), per-query latency summaries, the K/V bytes kept
// between queries and the process's peak RSS, plus the ratios the issue states its targets in.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "icl/dataset.h"
#include "method/method.h"

namespace dbsa {

struct MethodBenchConfig {
  // Run in this order; each method is destroyed before the next starts so their memory does not add up.
  std::vector<std::string> methods = {"dbsa", "cached-icl", "retrieval-icl", "zero-shot"};
  // Called before each method's setup and after each of its queries; for progress output only.
  std::function<void(std::string_view method, std::string_view stage)> on_event;
  // Predicted untimed after each method's setup, before its timed queries: the first queries pay for
  // mapping the store's pages, Xapian's first reads and scratch growth, which is not per-query cost.
  // Not among the timed queries, so their blocks are not warmed on purpose.
  std::vector<Example> warmup;
};

struct LatencySummary {
  std::vector<double> seconds;                                              // per query, in query order
  double mean_s = 0.0, p50_s = 0.0, p95_s = 0.0, min_s = 0.0, max_s = 0.0;  // summary_stats.h definitions
};

struct MethodBenchResult {
  std::string method;
  double setup_s = 0.0;
  // Block-cache methods: the store already held the cache, so setup only opened and verified it.
  // Always false for methods without a persistent cache.
  bool setup_cache_hit = false;
  uint64_t kv_bytes = 0;
  LatencySummary latency;  // Prediction::timings.total() of each query
  LatencySummary wall;     // wall clock around predict() (includes tokenizing the query)
  // Device clock around predict() (CUDA events) when the model's backend has one; empty otherwise.
  LatencySummary device;
  std::vector<double> warmup_seconds;  // wall clock of each warm-up query
  QueryTimings mean_stages;            // where the time went, averaged over the queries
  double mean_context_tokens = 0.0;    // tokens attended before the query
  int correct = 0;                     // predictions equal to the query's label
  uint64_t peak_rss_bytes = 0;         // process high-water mark after this method finished
};

struct MethodBenchReport {
  std::vector<MethodBenchResult> methods;
  int n_queries = 0;
  uint64_t peak_rss_bytes = 0;
  // Ratios of mean per-query latency (0 when a method was not run). Issue #4's targets:
  // dbsa/cached-icl <= 0.5, retrieval-icl/dbsa >= 50, dbsa/zero-shot <= 2.5.
  double dbsa_over_cached_icl = 0.0;
  double retrieval_icl_over_dbsa = 0.0;
  double dbsa_over_zero_shot = 0.0;
  // The same ratios of median latency: robust to a slow first query (cold page cache of the store).
  double dbsa_over_cached_icl_p50 = 0.0;
  double retrieval_icl_over_dbsa_p50 = 0.0;
  double dbsa_over_zero_shot_p50 = 0.0;

  const MethodBenchResult* find(std::string_view method) const;
};

// The summary of per-query seconds (empty input: all zero).
LatencySummary summarize_latency(std::vector<double> seconds);

// Runs every configured method with a copy of `inputs` over `queries` (their labels score accuracy).
// Throws std::invalid_argument for no queries or an unknown method, std::runtime_error when a setup is
// cancelled.
MethodBenchReport run_method_bench(const MethodInputs& inputs, const std::vector<Example>& queries,
                                   const MethodBenchConfig& config = {});

// The report as one JSON object (see the test for the fields); `extra` (a JSON object text, may be
// empty) is merged in at top level, for the caller's run parameters.
std::string method_bench_json(const MethodBenchReport& report, const std::string& extra = {});

}  // namespace dbsa
