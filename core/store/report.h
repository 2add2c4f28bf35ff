#pragma once
// The report over a results database: one row per (dataset, model, method) — optionally per
// configuration — built from FINISHED runs only (running, interrupted and failed runs are never
// counted). Runs of different models are never pooled: the model (by fingerprint) is part of every row.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/run_filter.h"
#include "store/run_record.h"

namespace dbsa {

class ResultsDb;

struct ReportOptions {
  // Also split rows by the main parameters (blocks, demos, select, sink, prev, grouping, order, test
  // size): what a sweep over those knobs needs. Off: one row per (dataset, method), as in the paper.
  bool by_config = false;
  // Only the runs this filter keeps (model, configuration, run ids); empty: every finished run.
  RunFilter filter;
};

struct ReportRow {
  std::string dataset;
  std::string model;              // run_model_name
  std::string model_fingerprint;  // what the rows are grouped by
  std::string method;
  std::string config;  // empty unless ReportOptions::by_config
  int64_t runs = 0;
  int64_t queries = 0;       // predictions over all runs of the row
  int64_t cache_hits = 0;    // runs whose setup reused a stored KV cache
  double accuracy_mean = 0;  // mean over runs of each run's accuracy
  double accuracy_std = 0;   // sample std (n − 1) over runs; 0 for one run
  // accuracy_mean / the best accuracy_mean of the same dataset and model (the paper's ">95% of the
  // best"); empty when the best is 0.
  std::optional<double> accuracy_ratio_to_best;
  double setup_seconds_mean = 0;
  // Per-query latency over all queries of all runs of the row pooled (percentiles: summary_stats.h).
  double query_mean_seconds = 0;
  double query_p50_seconds = 0;
  double query_p95_seconds = 0;
  double kv_bytes_mean = 0;
  double amortized_seconds_n100 = 0;     // amortized_seconds_per_query(setup, query mean, 100)
  double amortized_seconds_n100000 = 0;  // ... at 100,000 requests
};

// The paper's amortized latency per request when the setup is paid once for n requests:
// (setup + n × per_query) / n.
double amortized_seconds_per_query(double setup_seconds, double per_query_seconds, double n_requests);

// Rows sorted by dataset, then model, then method, then config.
std::vector<ReportRow> build_report(ResultsDb& db, const ReportOptions& options = {});

// Runs left "running" by a process that is gone (store/run_owner.h), by row id: never counted, but
// named, so a killed evaluation does not vanish silently from the report.
std::vector<RunRecord> abandoned_runs(const ResultsDb& db);

}  // namespace dbsa
