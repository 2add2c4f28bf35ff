#pragma once
// Runs the work units of an evaluation into the results database: per (point, run) one seeded pool
// draw and grouping shared by every method; per (point, run, method) one run row
// (begin_run → record_setup → add_prediction × test queries → finish_run). Block caches already in the
// store are reused (cache_hit). Cancelling (the flag, e.g. set by SIGINT) marks the current run
// interrupted and keeps the finished ones; an error marks it failed and is rethrown.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/eval_config.h"
#include "eval/eval_inputs.h"
#include "eval/work_units.h"

namespace dbsa {

struct EvalProgress {
  int64_t unit = 0;     // units of this process finished before the current one
  int64_t n_units = 0;  // units of this process
  int32_t point = 0;
  int32_t run = 0;
  std::string method;
  bool in_setup = false;  // pre-encoding / index building, else answering queries
  int64_t queries_done = 0;
  int64_t n_queries = 0;
  double fraction = 0;         // of this process's work, 0..1
  double elapsed_seconds = 0;  // since run_evaluation started
  double eta_seconds = -1;     // remaining, extrapolated from the fraction done; -1 = unknown yet
};

struct UnitOutcome {
  WorkUnit unit;
  std::string method;
  std::string run_uuid;
  int64_t run_id = 0;
  std::string status;  // finished, interrupted
  bool cache_hit = false;
  double setup_seconds = 0;
  int64_t n = 0;
  int64_t n_correct = 0;
  double accuracy = 0;
  double query_mean_seconds = 0;
};

struct EvalSummary {
  std::vector<UnitOutcome> units;  // in execution order; the interrupted one last
  bool interrupted = false;
  double seconds = 0;
};

struct EvalCallbacks {
  std::function<void(const EvalProgress&)> progress;
  const std::atomic<bool>* cancel = nullptr;
  // One line for the user outside the progress (e.g. waiting for another process's cache build).
  std::function<void(const std::string&)> notice;
  std::string tool_version;  // stored with every run; empty: eval_tool_version()
};

// `git describe` of the source tree this library was built from (or "unknown").
std::string eval_tool_version();

// Opens (creating) points.front().db and the KV store folder only now: prepare_eval() has checked them.
EvalSummary run_evaluation(EvalInputs& in, const std::vector<EvalConfig>& points,
                           const std::vector<WorkUnit>& units, const EvalCallbacks& cb = {});

}  // namespace dbsa
