#include "store/results_db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "store/results_schema.h"
#include "store/run_aggregates.h"
#include "store/run_owner.h"
#include "store/run_stamps.h"
#include "store/store_error.h"
#include "util/file_lock.h"

namespace dbsa {
namespace {

bool can_read(SqliteDb& c) {
  return sqlite3_exec(c.handle(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) ==
         SQLITE_OK;
}

std::string immutable_uri(const std::filesystem::path& file) {
  std::string uri = "file:";
  for (char ch : std::filesystem::absolute(file).string()) {
    if (ch == '?' || ch == '#' || ch == '%') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(ch));
      uri += buf;
    } else {
      uri += ch;
    }
  }
  return uri + "?immutable=1";
}

[[noreturn]] void raise_store_error(const std::string& message) {
  throw StoreError(message);
}

constexpr SqliteErrors kResultsDbErrors{"results database", &raise_store_error};
// Concurrent writers (shards, a studio beside a CLI run) wait for each other's transactions.
constexpr int kResultsBusyTimeoutMs = 30000;

SqliteDb open_connection(const std::filesystem::path& file, OpenMode mode) {
  if (mode != OpenMode::Create && !std::filesystem::exists(file))
    throw StoreError("results database '" + file.string() + "': no such file");
  if (std::filesystem::is_directory(file))
    throw StoreError("results database '" + file.string() +
                     "': is a folder, expected a results database file");
  if (mode != OpenMode::ReadOnly) {
    // A writer needs the folder too: SQLite creates the database and its -wal/-shm files next to it.
    auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    std::string where =
        "results database '" + file.string() + "': cannot write: folder '" + dir.string() + "' ";
    if (!std::filesystem::is_directory(dir)) throw StoreError(where + "does not exist");
    if (access(dir.c_str(), W_OK) != 0) throw StoreError(where + "is not writable");
  }
  int flags = mode == OpenMode::ReadOnly    ? SQLITE_OPEN_READONLY
              : mode == OpenMode::ReadWrite ? SQLITE_OPEN_READWRITE
                                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  SqliteDb c(file, flags, kResultsDbErrors, kResultsBusyTimeoutMs);
  if (mode == OpenMode::ReadOnly && !can_read(c)) {
    // A WAL file needs its -shm index; in a folder the reader cannot write (a shared results folder,
    // an archive) SQLite can create neither it nor the -wal, so nobody is writing and the file itself
    // holds every committed row: open it as immutable.
    int code = sqlite3_extended_errcode(c.handle());
    if ((code & 0xFF) == SQLITE_READONLY || (code & 0xFF) == SQLITE_CANTOPEN)
      c = SqliteDb(immutable_uri(file), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, file, kResultsDbErrors,
                   kResultsBusyTimeoutMs);
  }
  // SQLite silently falls back to read-only for a write-protected file; a writer must know now, not at
  // its first insert after minutes of evaluation.
  if (mode != OpenMode::ReadOnly && c.read_only()) c.fail_plain("cannot write: the file is read-only");
  return c;
}

template <typename T>
std::string json_array(const std::vector<T>& v) {
  return nlohmann::json(v).dump();
}

template <typename T>
std::vector<T> parse_json_array(const SqliteDb& db, const std::string& text, const char* column) {
  try {
    return nlohmann::json::parse(text).get<std::vector<T>>();
  } catch (const std::exception&) {
    db.fail_plain(std::string("column predictions.") + column + ": expected a JSON array of numbers, got '" +
                  text.substr(0, 40) + "'");
  }
}

constexpr const char* kRunColumns =
    "id, uuid, method, dataset, model_path, model_fingerprint, params_json, blocks, block_demos, n_select, "
    "sink, prev, grouping, block_order, seed, test_size, shard, tool_version, hostname, cpu_model, "
    "cpu_cores, ram_bytes, started_at, finished_at, status, error, setup_seconds, cache_hit, kv_bytes, "
    "owner_boot_id, owner_pid, owner_start_ticks";

RunRecord read_run(const SqliteStatement& st) {
  RunRecord r;
  int c = 0;
  r.id = st.column_int(c++);
  RunInfo& i = r.info;
  i.uuid = st.column_text(c++);
  i.method = st.column_text(c++);
  i.dataset = st.column_text(c++);
  i.model_path = st.column_text(c++);
  i.model_fingerprint = st.column_text(c++);
  i.params_json = st.column_text(c++);
  i.params.blocks = static_cast<int>(st.column_int(c++));
  i.params.block_demos = static_cast<int>(st.column_int(c++));
  i.params.select = static_cast<int>(st.column_int(c++));
  i.params.sink = static_cast<int>(st.column_int(c++));
  i.params.prev = static_cast<int>(st.column_int(c++));
  i.params.grouping = st.column_text(c++);
  i.params.order = st.column_text(c++);
  i.params.seed = st.column_int(c++);
  i.params.test_size = static_cast<int>(st.column_int(c++));
  i.params.shard = st.column_text(c++);
  i.tool_version = st.column_text(c++);
  i.machine.hostname = st.column_text(c++);
  i.machine.cpu_model = st.column_text(c++);
  i.machine.cpu_cores = static_cast<int>(st.column_int(c++));
  i.machine.ram_bytes = st.column_int(c++);
  i.started_at = st.column_text(c++);
  r.finished_at = st.column_text(c++);
  r.status = parse_run_status(st.column_text(c++));
  r.error = st.column_text(c++);
  r.setup.setup_seconds = st.column_double(c++);
  r.setup.cache_hit = st.column_int(c++) != 0;
  r.setup.kv_bytes = st.column_int(c++);
  i.owner.boot_id = st.column_text(c++);
  i.owner.pid = st.column_int(c++);
  i.owner.start_ticks = st.column_int(c++);
  return r;
}

}  // namespace

ResultsDb::ResultsDb(const std::filesystem::path& file, OpenMode mode) {
  if (mode != OpenMode::Create || std::filesystem::exists(file)) {
    open(file, mode);
    return;
  }
  // Creators of one new file take turns (processes, or threads of one), so "this call created it" is
  // known for sure: a later creator finds the file and never removes another's database.
  std::optional<FileLock> creating;
  try {
    const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    // Built with append: GCC 12 -O3 warns falsely (-Wrestrict) on "literal" + std::string.
    std::string name(".");
    name.append(file.filename().string()).append(".create-lock");
    creating.emplace(FileLock::acquire(dir / name));
  } catch (const FileError&) {
    // An unwritable folder: open() names the problem, and without the lock nothing is removed.
  }
  const bool created = creating && !std::filesystem::exists(file);
  try {
    open(file, mode);
  } catch (...) {
    if (created) {
      // A database this call created but could not set up (a full disk, a file size limit) is removed
      // with its side files: a failed command leaves no empty results file behind.
      db_ = SqliteDb();
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(file.string() + suffix, ec);
    }
    throw;
  }
}

void ResultsDb::open(const std::filesystem::path& file, OpenMode mode) {
  db_ = open_connection(file, mode);
  version_on_open_ = check_results_schema(db_);
  if (mode == OpenMode::ReadOnly) {
    if (version_on_open_ == 0) db_.fail_plain("is empty, not a dbsa results database");
    if (version_on_open_ < kResultsSchemaVersion) {
      db_ = SqliteDb::memory_copy_of(db_);
      migrate_results_schema(db_);
    }
    return;
  }
  // WAL lets readers (the GUI, reports) run while a writer appends predictions. The mode is stored in
  // the file, so this only does work on the first open.
  {
    SqliteStatement wal(db_, "PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.column_text(0) != "wal")
      db_.fail_plain("cannot switch to WAL journal mode (is its folder writable?)");
  }
  db_.exec("PRAGMA synchronous = NORMAL");
  db_.exec("PRAGMA foreign_keys = ON");
  migrate_results_schema(db_);
}

ResultsDb::~ResultsDb() {
  if (pending_.empty() || !db_.handle()) return;
  try {
    flush();
  } catch (const std::exception&) {
    // A destructor cannot report; callers that care call flush() or finish_run() themselves.
  }
}

int64_t ResultsDb::begin_run(RunInfo& info) {
  nlohmann::json params;
  try {
    params = nlohmann::json::parse(info.params_json);
  } catch (const std::exception& e) {
    db_.fail_plain("run parameters: expected JSON, got '" + info.params_json.substr(0, 40) +
                   "': " + e.what());
  }
  if (!params.is_object()) db_.fail_plain("run parameters: expected a JSON object, got " + info.params_json);
  if (info.uuid.empty()) info.uuid = new_run_uuid();
  if (info.started_at.empty()) info.started_at = utc_timestamp_now();
  if (info.owner.pid == 0) info.owner = this_process_owner();
  SqliteTransaction tx(db_);
  SqliteStatement st(
      db_,
      "INSERT INTO runs (uuid, method, dataset, model_path, model_fingerprint, params_json, "
      "blocks, block_demos, n_select, sink, prev, grouping, block_order, seed, test_size, shard, "
      "tool_version, hostname, cpu_model, cpu_cores, ram_bytes, started_at, owner_boot_id, owner_pid, "
      "owner_start_ticks, status) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
      "?20, ?21, ?22, ?23, ?24, ?25, 'running')");
  const RunParams& p = info.params;
  int c = 1;
  st.bind(c++, info.uuid);
  st.bind(c++, info.method);
  st.bind(c++, info.dataset);
  st.bind(c++, info.model_path);
  st.bind(c++, info.model_fingerprint);
  st.bind(c++, params.dump());
  for (int v : {p.blocks, p.block_demos, p.select, p.sink, p.prev}) st.bind(c++, int64_t{v});
  st.bind(c++, p.grouping);
  st.bind(c++, p.order);
  st.bind(c++, p.seed);
  st.bind(c++, int64_t{p.test_size});
  st.bind(c++, p.shard);
  st.bind(c++, info.tool_version);
  st.bind(c++, info.machine.hostname);
  st.bind(c++, info.machine.cpu_model);
  st.bind(c++, int64_t{info.machine.cpu_cores});
  st.bind(c++, info.machine.ram_bytes);
  st.bind(c++, info.started_at);
  st.bind(c++, info.owner.boot_id);
  st.bind(c++, info.owner.pid);
  st.bind(c++, info.owner.start_ticks);
  st.step();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

void ResultsDb::record_setup(int64_t run_id, const RunSetup& setup) {
  SqliteTransaction tx(db_);
  SqliteStatement st(db_, "UPDATE runs SET setup_seconds = ?2, cache_hit = ?3, kv_bytes = ?4 WHERE id = ?1");
  st.bind(1, run_id);
  st.bind(2, setup.setup_seconds);
  st.bind(3, int64_t{setup.cache_hit ? 1 : 0});
  st.bind(4, setup.kv_bytes);
  st.step();
  if (sqlite3_changes(db_.handle()) != 1)
    db_.fail_plain("record_setup: no run with id " + std::to_string(run_id));
  tx.commit();
}

void ResultsDb::add_prediction(int64_t run_id, const PredictionRow& p) {
  if (!p.block_scores.empty() && p.block_scores.size() != p.selected_blocks.size())
    db_.fail_plain("query " + std::to_string(p.query_index) + ": " + std::to_string(p.block_scores.size()) +
                   " block scores for " + std::to_string(p.selected_blocks.size()) + " selected blocks");
  if (!p.demo_scores.empty() && p.demo_scores.size() != p.retrieved_demos.size())
    db_.fail_plain("query " + std::to_string(p.query_index) + ": " + std::to_string(p.demo_scores.size()) +
                   " demo scores for " + std::to_string(p.retrieved_demos.size()) + " retrieved demos");
  pending_.emplace_back(run_id, p);
  if (pending_.size() >= kPredictionBatch) flush();
}

void ResultsDb::flush() {
  if (pending_.empty()) return;
  SqliteTransaction tx(db_);
  write_pending();
  tx.commit();
}

void ResultsDb::write_pending() {
  // Taken out first so a failing batch is reported once, not again by every later flush.
  auto batch = std::move(pending_);
  pending_.clear();
  SqliteStatement st(db_,
                     "INSERT INTO predictions (run_id, query_index, example_id, gold, prediction, correct, "
                     "selected_blocks, block_scores, n_tokens_attended, retrieval_seconds, assembly_seconds, "
                     "forward_seconds, decode_seconds, total_seconds, retrieved_demos, demo_scores) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  for (const auto& [run_id, p] : batch) {
    double total = p.total_seconds >= 0
                       ? p.total_seconds
                       : p.retrieval_seconds + p.assembly_seconds + p.forward_seconds + p.decode_seconds;
    st.bind(1, run_id);
    st.bind(2, p.query_index);
    st.bind(3, p.example_id);
    st.bind(4, p.gold);
    st.bind(5, p.prediction);
    st.bind(6, int64_t{p.correct ? 1 : 0});
    st.bind(7, json_array(p.selected_blocks));
    st.bind(8, json_array(p.block_scores));
    st.bind(9, p.n_tokens_attended);
    st.bind(10, p.retrieval_seconds);
    st.bind(11, p.assembly_seconds);
    st.bind(12, p.forward_seconds);
    st.bind(13, p.decode_seconds);
    st.bind(14, total);
    st.bind(15, json_array(p.retrieved_demos));
    st.bind(16, json_array(p.demo_scores));
    st.step();
    st.reset();
  }
}

RunAggregates ResultsDb::finish_run(int64_t run_id) {
  SqliteTransaction tx(db_);
  write_pending();
  SqliteStatement status(db_, "SELECT status FROM runs WHERE id = ?1");
  status.bind(1, run_id);
  if (!status.step()) db_.fail_plain("finish_run: no run with id " + std::to_string(run_id));
  if (status.column_text(0) != "running")
    db_.fail_plain("finish_run: run " + std::to_string(run_id) + " is already " + status.column_text(0));
  RunAggregates a = compute_run_aggregates(db_, run_id);
  if (a.n == 0)
    db_.fail_plain("finish_run: run " + std::to_string(run_id) +
                   " has no predictions; mark it interrupted or failed instead");
  SqliteStatement ins(
      db_,
      "INSERT OR REPLACE INTO aggregates (run_id, n, n_correct, accuracy, query_mean_seconds, "
      "query_p50_seconds, query_p95_seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  ins.bind(1, run_id);
  ins.bind(2, a.n);
  ins.bind(3, a.n_correct);
  ins.bind(4, a.accuracy);
  ins.bind(5, a.query_mean_seconds);
  ins.bind(6, a.query_p50_seconds);
  ins.bind(7, a.query_p95_seconds);
  ins.step();
  set_final_status(run_id, RunStatus::Finished, "");
  tx.commit();
  return a;
}

void ResultsDb::mark_interrupted(int64_t run_id) {
  SqliteTransaction tx(db_);
  write_pending();
  set_final_status(run_id, RunStatus::Interrupted, "");
  tx.commit();
}

void ResultsDb::mark_failed(int64_t run_id, const std::string& error) {
  SqliteTransaction tx(db_);
  write_pending();
  set_final_status(run_id, RunStatus::Failed, error);
  tx.commit();
}

void ResultsDb::set_final_status(int64_t run_id, RunStatus status, const std::string& error) {
  SqliteStatement st(db_,
                     "UPDATE runs SET status = ?2, finished_at = ?3, error = ?4 WHERE id = ?1 AND status = "
                     "'running'");
  st.bind(1, run_id);
  st.bind(2, std::string(run_status_name(status)));
  st.bind(3, utc_timestamp_now());
  st.bind(4, error);
  st.step();
  if (sqlite3_changes(db_.handle()) != 1)
    db_.fail_plain("cannot mark run " + std::to_string(run_id) + " " + run_status_name(status) +
                   ": no such run, or it is no longer running");
}

std::vector<RunRecord> ResultsDb::query_runs(const std::string& where, const std::string& arg) const {
  SqliteStatement st(db_, std::string("SELECT ") + kRunColumns + " FROM runs" + where + " ORDER BY id");
  if (!arg.empty()) st.bind(1, arg);
  std::vector<RunRecord> out;
  while (st.step()) out.push_back(read_run(st));
  return out;
}

std::vector<RunRecord> ResultsDb::runs() const {
  return query_runs("", "");
}

std::optional<RunRecord> ResultsDb::find_run(const std::string& uuid) const {
  auto r = query_runs(" WHERE uuid = ?1", uuid);
  if (r.empty()) return std::nullopt;
  return r.front();
}

std::vector<PredictionRow> ResultsDb::predictions(int64_t run_id) const {
  SqliteStatement st(
      db_,
      "SELECT query_index, example_id, gold, prediction, correct, selected_blocks, block_scores, "
      "n_tokens_attended, retrieval_seconds, assembly_seconds, forward_seconds, decode_seconds, "
      "total_seconds, retrieved_demos, demo_scores FROM predictions WHERE run_id = ?1 ORDER BY query_index");
  st.bind(1, run_id);
  std::vector<PredictionRow> out;
  while (st.step()) {
    PredictionRow p;
    p.query_index = st.column_int(0);
    p.example_id = st.column_text(1);
    p.gold = st.column_text(2);
    p.prediction = st.column_text(3);
    p.correct = st.column_int(4) != 0;
    p.selected_blocks = parse_json_array<int>(db_, st.column_text(5), "selected_blocks");
    p.block_scores = parse_json_array<double>(db_, st.column_text(6), "block_scores");
    p.n_tokens_attended = st.column_int(7);
    p.retrieval_seconds = st.column_double(8);
    p.assembly_seconds = st.column_double(9);
    p.forward_seconds = st.column_double(10);
    p.decode_seconds = st.column_double(11);
    p.total_seconds = st.column_double(12);
    p.retrieved_demos = parse_json_array<int64_t>(db_, st.column_text(13), "retrieved_demos");
    p.demo_scores = parse_json_array<double>(db_, st.column_text(14), "demo_scores");
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<RunAggregates> ResultsDb::aggregates(int64_t run_id) const {
  SqliteStatement st(
      db_,
      // The context size is read from the predictions rather than stored: one indexed average, and
      // databases written before it was shown need no migration.
      "SELECT n, n_correct, accuracy, query_mean_seconds, query_p50_seconds, query_p95_seconds, "
      "(SELECT COALESCE(AVG(n_tokens_attended), 0) FROM predictions WHERE run_id = ?1) "
      "FROM aggregates WHERE run_id = ?1");
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  RunAggregates a;
  a.n = st.column_int(0);
  a.n_correct = st.column_int(1);
  a.accuracy = st.column_double(2);
  a.query_mean_seconds = st.column_double(3);
  a.query_p50_seconds = st.column_double(4);
  a.query_p95_seconds = st.column_double(5);
  a.tokens_attended_mean = st.column_double(6);
  return a;
}

}  // namespace dbsa
