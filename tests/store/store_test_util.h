#pragma once
// Builders of runs and predictions with known values, so tests can hand-compute what the store and
// the report must say.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/results_db.h"
#include "support/test_paths.h"

namespace dbsa::test {

inline RunInfo make_run_info(const std::string& dataset, const std::string& method, int64_t seed = 1) {
  RunInfo info;
  info.method = method;
  info.dataset = dataset;
  info.model_path = "models/tiny-spm-f32.gguf";
  info.model_fingerprint = "fp-123";
  info.params = RunParams{4, 10, 2, 1, 2, "balanced", "in-order", seed, 20, "0/1"};
  info.params_json = R"({"blocks":4,"block_demos":10,"select":2})";
  info.tool_version = "v0.1.0-test";
  info.machine = MachineInfo{"host", "cpu", 2, 1 << 30};
  return info;
}

inline PredictionRow make_prediction(int64_t index, bool correct, double total_seconds) {
  PredictionRow p;
  p.query_index = index;
  p.example_id = "ex" + std::to_string(index);
  p.gold = "LOC";
  p.prediction = correct ? "LOC" : "NUM";
  p.correct = correct;
  p.selected_blocks = {0, 2};
  p.block_scores = {0.0, 1.5};
  p.retrieved_demos = {41, 7, 1000000000007};  // pool indices are 64-bit
  p.demo_scores = {3.5, 2.25, 0.0};
  p.n_tokens_attended = 300;
  p.total_seconds = total_seconds;
  return p;
}

// Writes one finished run whose queries have the given correctness and latencies.
inline int64_t write_finished_run(ResultsDb& db, const std::string& dataset, const std::string& method,
                                  const std::vector<bool>& correct, const std::vector<double>& latency,
                                  double setup_seconds = 0, int64_t kv_bytes = 0,
                                  const std::string& model_path = {},
                                  const std::string& model_fingerprint = {}) {
  RunInfo info = make_run_info(dataset, method);
  if (!model_path.empty()) info.model_path = model_path;
  if (!model_fingerprint.empty()) info.model_fingerprint = model_fingerprint;
  int64_t id = db.begin_run(info);
  db.record_setup(id, RunSetup{setup_seconds, false, kv_bytes});
  for (size_t i = 0; i < correct.size(); ++i)
    db.add_prediction(id, make_prediction(static_cast<int64_t>(i), correct[i], latency[i]));
  db.finish_run(id);
  return id;
}

inline int64_t count_rows(ResultsDb& db, const std::string& table) {
  return db.connection().query_int("SELECT count(*) FROM " + table);
}

// Raw access to a file, bypassing the store (to build old or foreign databases).
inline void raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.string().c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

inline int64_t raw_int(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(file.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

}  // namespace dbsa::test
