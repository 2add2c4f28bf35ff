#pragma once
// A small results database with hand-chosen numbers, so every chart value can be recomputed by hand:
// three methods on trec (two pool sizes for dbsa), one run each on sst2, plus a running and an
// interrupted run that no chart may count.
#include <QApplication>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/results_db.h"
#include "support/test_paths.h"
#include "ui/shell/offscreen_app.h"

namespace dbsa::test {

inline constexpr double kMiB = 1024.0 * 1024.0;

struct TestRun {
  std::string dataset, method;
  int blocks = 4, demos = 10, select = 2;
  int64_t seed = 1;
  double setup_seconds = 0;
  int64_t kv_bytes = 0;
  int64_t tokens = 0;           // n_tokens_attended of every query
  std::vector<bool> correct;    // one per query
  std::vector<double> latency;  // total seconds per query
  RunStatus status = RunStatus::Finished;
  std::string model_path = "models/tiny-spm-f32.gguf";
  std::string model_fingerprint = "fp-ui";
};

inline void write_run(ResultsDb& db, const TestRun& t) {
  RunInfo info;
  info.method = t.method;
  info.dataset = t.dataset;
  info.model_path = t.model_path;
  info.model_fingerprint = t.model_fingerprint;
  info.params = RunParams{t.blocks, t.demos, t.select, 1, 2, "balanced", "in-order", t.seed, 4, ""};
  info.tool_version = "v0.1.0-test";
  int64_t id = db.begin_run(info);
  db.record_setup(id, RunSetup{t.setup_seconds, false, t.kv_bytes});
  for (size_t i = 0; i < t.correct.size(); ++i) {
    PredictionRow p;
    p.query_index = static_cast<int64_t>(i);
    p.example_id = "q";  // appended, not "q" + …: GCC 12 gives a false -Wrestrict on that
    p.example_id += std::to_string(i);
    p.gold = "LOC";
    p.correct = t.correct[i];
    p.prediction = t.correct[i] ? "LOC" : "NUM";
    p.n_tokens_attended = t.tokens;
    p.total_seconds = t.latency[i];
    db.add_prediction(id, p);
  }
  if (t.status == RunStatus::Finished)
    db.finish_run(id);
  else if (t.status == RunStatus::Interrupted)
    db.mark_interrupted(id);
  else
    db.flush();
}

inline std::vector<TestRun> chart_test_runs() {
  const std::vector<double> dbsa_lat{0.01, 0.02, 0.03, 0.04}, full_lat{0.2, 0.3, 0.4, 0.5},
      zero_lat(4, 0.005);
  std::vector<TestRun> r;
  // trec: dbsa at pool 40 (two seeds) and pool 80; full-icl and zero-shot at pool 40.
  r.push_back({"trec", "dbsa", 4, 10, 2, 1, 2.0, int64_t(4 * kMiB), 300, {1, 1, 1, 0}, dbsa_lat});
  r.push_back({"trec", "dbsa", 4, 10, 2, 2, 2.0, int64_t(4 * kMiB), 300, {1, 1, 1, 1}, dbsa_lat});
  r.push_back(
      {"trec", "dbsa", 8, 10, 3, 1, 3.0, int64_t(8 * kMiB), 450, {1, 1, 1, 1}, {0.05, 0.05, 0.05, 0.05}});
  r.push_back({"trec", "full-icl", 4, 10, 4, 1, 0.0, 0, 1200, {1, 1, 1, 1}, full_lat});
  r.push_back({"trec", "full-icl", 4, 10, 4, 2, 0.0, 0, 1200, {1, 0, 1, 1}, full_lat});
  r.push_back({"trec", "zero-shot", 4, 10, 0, 1, 0.0, 0, 40, {1, 0, 1, 0}, zero_lat});
  r.push_back({"trec", "zero-shot", 4, 10, 0, 2, 0.0, 0, 40, {0, 0, 1, 0}, zero_lat});
  // Never counted: a run still going and one stopped by Ctrl-C.
  TestRun running{"trec", "retrieval-icl", 4, 10, 2, 1, 1.0, 0, 100, {1, 1}, {0.1, 0.1}};
  running.status = RunStatus::Running;
  r.push_back(running);
  TestRun stopped = running;
  stopped.status = RunStatus::Interrupted;
  r.push_back(stopped);
  // sst2: one run per method.
  r.push_back({"sst2", "dbsa", 4, 10, 2, 1, 1.0, int64_t(2 * kMiB), 200, {1, 1, 0, 1}, dbsa_lat});
  r.push_back({"sst2", "full-icl", 4, 10, 4, 1, 0.0, 0, 900, {1, 1, 1, 1}, full_lat});
  r.push_back({"sst2", "zero-shot", 4, 10, 0, 1, 0.0, 0, 30, {1, 0, 0, 0}, zero_lat});
  return r;
}

// Writes the database into a fresh scratch folder and returns its path.
inline std::filesystem::path write_chart_test_db(const std::string& scratch_name) {
  auto file = scratch_dir(scratch_name) / "results.sqlite";
  ResultsDb db(file, OpenMode::Create);
  for (const TestRun& t : chart_test_runs()) write_run(db, t);
  return file;
}

// One QApplication (offscreen) for the whole test binary.
inline void need_application() {
  static std::unique_ptr<QApplication> app = ui::ensure_application();
}

// Runs of a second model on trec (another file, another fingerprint): no chart may pool them with the
// first model's, and a filter by model keeps them apart.
inline std::vector<TestRun> second_model_runs() {
  std::vector<TestRun> runs;
  for (const char* method : {"dbsa", "zero-shot"}) {
    TestRun t;
    t.dataset = "trec";
    t.method = method;
    t.setup_seconds = 1;
    t.kv_bytes = static_cast<int64_t>(kMiB);
    t.tokens = 100;
    t.correct = {true, true, true, true};
    t.latency = {0.2, 0.2, 0.2, 0.2};
    t.model_path = "models/big.gguf";
    t.model_fingerprint = "fp-big-000000";
    runs.push_back(t);
  }
  return runs;
}

}  // namespace dbsa::test
