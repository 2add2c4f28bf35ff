#pragma once
// The results database of evaluation runs (SQLite, WAL, versioned schema; see results_schema.h).
//
// A run is written as begin_run → record_setup → add_prediction* → finish_run (or mark_interrupted /
// mark_failed). Predictions are buffered and written in batched transactions; finish_run writes the
// last batch, the aggregates and the status 'finished' in ONE transaction, so a reader sees either a
// finished run with all its rows and aggregates or a run that reports ignore. Several processes (GUI,
// CLI shards) may write the same file at once: each write transaction takes the write lock up front
// and waits on a busy timeout instead of failing.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/run_record.h"
#include "util/sqlite_db.h"

namespace dbsa {

enum class OpenMode {
  ReadOnly,   // file must exist; an older schema is migrated in an in-memory copy, the file is untouched
  ReadWrite,  // file must exist and be writable; an older schema is migrated in place
  Create,     // as ReadWrite, creating the file when missing (its folder must exist)
};

class ResultsDb {
 public:
  // Throws StoreError naming the file: missing, not SQLite, another application's database, schema
  // newer than this build, or not writable in a writing mode.
  explicit ResultsDb(const std::filesystem::path& file, OpenMode mode = OpenMode::Create);
  ~ResultsDb();  // writes buffered predictions (best effort; call flush() to see errors)
  ResultsDb(ResultsDb&&) noexcept = default;
  ResultsDb& operator=(ResultsDb&&) = delete;
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  const std::filesystem::path& file() const { return db_.file(); }
  int version_on_open() const { return version_on_open_; }  // before any migration; 0 = new file

  // Inserts the run with status 'running'. Fills info.uuid and info.started_at when empty; throws
  // when params_json is not a JSON object. Returns the run's row id in this file.
  int64_t begin_run(RunInfo& info);
  void record_setup(int64_t run_id, const RunSetup& setup);
  // Throws when block_scores is neither empty nor the size of selected_blocks.
  void add_prediction(int64_t run_id, const PredictionRow& p);
  void flush();
  // Throws when the run is not 'running' or has no predictions.
  RunAggregates finish_run(int64_t run_id);
  // Keep the predictions written so far (for inspection) but never count them.
  void mark_interrupted(int64_t run_id);
  void mark_failed(int64_t run_id, const std::string& error);

  std::vector<RunRecord> runs() const;  // every status, by row id
  std::optional<RunRecord> find_run(const std::string& uuid) const;
  std::vector<PredictionRow> predictions(int64_t run_id) const;  // by query index
  std::optional<RunAggregates> aggregates(int64_t run_id) const;

  SqliteDb& connection() { return db_; }

  static constexpr size_t kPredictionBatch = 64;

 private:
  void open(const std::filesystem::path& file, OpenMode mode);
  void write_pending();  // inside the caller's transaction
  void set_final_status(int64_t run_id, RunStatus status, const std::string& error);
  std::vector<RunRecord> query_runs(const std::string& where, const std::string& arg) const;

  SqliteDb db_;
  int version_on_open_ = 0;
  std::vector<std::pair<int64_t, PredictionRow>> pending_;
};

}  // namespace dbsa
