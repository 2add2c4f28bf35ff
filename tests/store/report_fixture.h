#pragma once
// One database with hand-computable report rows, shared by the report and format tests.
//
// trec / dbsa: three finished runs, accuracy 3/4, 2/4, 4/4 → mean 0.75, sample std 0.25; latencies
//   0.1 … 1.2 (step 0.1) pooled → mean 0.65, p50 0.65, p95 1.145; setup 10, 20, 30 → 20; KV 100.
//   amortized: (20 + 100 × 0.65) / 100 = 0.85 and (20 + 100000 × 0.65) / 100000 = 0.6502.
// trec / full-icl: one run, accuracy 1 → std 0; the best of trec, so dbsa's ratio is 0.75.
// banking77 / zero-shot: one run, accuracy 0 → no ratio (best is 0).
// Plus runs that must never count: an interrupted and a running trec/dbsa run with perfect accuracy,
// and a failed one.
#include "store/results_db.h"
#include "store_test_util.h"

namespace dbsa::test {

inline void fill_report_fixture(ResultsDb& db) {
  write_finished_run(db, "trec", "dbsa", {true, true, true, false}, {0.1, 0.2, 0.3, 0.4}, 10, 100);
  write_finished_run(db, "trec", "dbsa", {true, false, false, true}, {0.5, 0.6, 0.7, 0.8}, 20, 100);
  write_finished_run(db, "trec", "dbsa", {true, true, true, true}, {0.9, 1.0, 1.1, 1.2}, 30, 100);
  write_finished_run(db, "trec", "full-icl", {true, true}, {2.0, 4.0}, 0, 5000);
  write_finished_run(db, "banking77", "zero-shot", {false, false}, {0.01, 0.03});

  RunInfo interrupted = make_run_info("trec", "dbsa");
  int64_t i = db.begin_run(interrupted);
  for (int q = 0; q < 8; ++q) db.add_prediction(i, make_prediction(q, true, 50.0));
  db.mark_interrupted(i);
  RunInfo running = make_run_info("trec", "dbsa");
  int64_t r = db.begin_run(running);
  for (int q = 0; q < 3; ++q) db.add_prediction(r, make_prediction(q, true, 50.0));
  db.flush();
  RunInfo failed = make_run_info("trec", "full-icl");
  int64_t f = db.begin_run(failed);
  db.add_prediction(f, make_prediction(0, false, 50.0));
  db.mark_failed(f, "out of memory");
}

}  // namespace dbsa::test
