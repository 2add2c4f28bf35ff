#include "store/results_schema.h"

#include <sqlite3.h>

#include <string>

#include "store/run_aggregates.h"
#include "store/store_error.h"
#include "util/sqlite_db.h"

namespace dbsa {
namespace {

// v1: runs, per-query predictions, per-run aggregates with the mean latency only.
void migrate_to_v1(SqliteDb& db) {
  db.exec("PRAGMA application_id = " + std::to_string(kResultsApplicationId));
  db.exec(R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  method TEXT NOT NULL,
  dataset TEXT NOT NULL,
  model_path TEXT NOT NULL,
  model_fingerprint TEXT NOT NULL,
  params_json TEXT NOT NULL,
  blocks INTEGER NOT NULL,
  block_demos INTEGER NOT NULL,
  n_select INTEGER NOT NULL,
  sink INTEGER NOT NULL,
  prev INTEGER NOT NULL,
  grouping TEXT NOT NULL,
  block_order TEXT NOT NULL,
  seed INTEGER NOT NULL,
  test_size INTEGER NOT NULL,
  shard TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  hostname TEXT NOT NULL,
  cpu_model TEXT NOT NULL,
  cpu_cores INTEGER NOT NULL,
  ram_bytes INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed')),
  error TEXT NOT NULL DEFAULT '',
  setup_seconds REAL NOT NULL DEFAULT 0,
  cache_hit INTEGER NOT NULL DEFAULT 0,
  kv_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE predictions (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  query_index INTEGER NOT NULL,
  example_id TEXT NOT NULL,
  gold TEXT NOT NULL,
  prediction TEXT NOT NULL,
  correct INTEGER NOT NULL,
  selected_blocks TEXT NOT NULL,
  block_scores TEXT NOT NULL,
  n_tokens_attended INTEGER NOT NULL,
  retrieval_seconds REAL NOT NULL,
  assembly_seconds REAL NOT NULL,
  forward_seconds REAL NOT NULL,
  decode_seconds REAL NOT NULL,
  total_seconds REAL NOT NULL,
  PRIMARY KEY (run_id, query_index)
);
CREATE TABLE aggregates (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  n_correct INTEGER NOT NULL,
  accuracy REAL NOT NULL,
  query_mean_seconds REAL NOT NULL
);
)sql");
}

// v2: latency percentiles per run (v1 kept only the mean), backfilled from the stored per-query rows,
// and an index for the report's grouping.
void migrate_to_v2(SqliteDb& db) {
  db.exec("ALTER TABLE aggregates ADD COLUMN query_p50_seconds REAL NOT NULL DEFAULT 0");
  db.exec("ALTER TABLE aggregates ADD COLUMN query_p95_seconds REAL NOT NULL DEFAULT 0");
  std::vector<int64_t> ids;
  {
    SqliteStatement st(db, "SELECT run_id FROM aggregates");
    while (st.step()) ids.push_back(st.column_int(0));
  }
  SqliteStatement upd(
      db, "UPDATE aggregates SET query_p50_seconds = ?2, query_p95_seconds = ?3 WHERE run_id = ?1");
  for (int64_t id : ids) {
    RunAggregates a = compute_run_aggregates(db, id);
    upd.bind(1, id);
    upd.bind(2, a.query_p50_seconds);
    upd.bind(3, a.query_p95_seconds);
    upd.step();
    upd.reset();
  }
  db.exec("CREATE INDEX runs_by_dataset_method ON runs(dataset, method, status)");
}

// v3: retrieval-icl's per-query demonstrations (pool indices in context order) and their BM25 scores,
// the counterpart of selected_blocks/block_scores for the block methods. Older rows had none recorded.
void migrate_to_v3(SqliteDb& db) {
  db.exec("ALTER TABLE predictions ADD COLUMN retrieved_demos TEXT NOT NULL DEFAULT '[]'");
  db.exec("ALTER TABLE predictions ADD COLUMN demo_scores TEXT NOT NULL DEFAULT '[]'");
}

// v4: the process writing each run (boot id, pid, start time), so runs a dead process left "running"
// show as abandoned (store/run_owner.h). Older rows record none: their state stays unknown.
void migrate_to_v4(SqliteDb& db) {
  db.exec("ALTER TABLE runs ADD COLUMN owner_boot_id TEXT NOT NULL DEFAULT ''");
  db.exec("ALTER TABLE runs ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0");
  db.exec("ALTER TABLE runs ADD COLUMN owner_start_ticks INTEGER NOT NULL DEFAULT 0");
}

struct Migration {
  int to_version;
  void (*apply)(SqliteDb&);
};

// Append-only: a released step is never edited, a schema change is a new step.
constexpr Migration kMigrations[] = {
    {1, migrate_to_v1}, {2, migrate_to_v2}, {3, migrate_to_v3}, {4, migrate_to_v4}};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kResultsSchemaVersion);

}  // namespace

namespace {

int check_schema_snapshot(SqliteDb& db) {
  int64_t app_id = 0;
  try {
    app_id = db.query_int("PRAGMA application_id");
  } catch (const std::exception&) {
    db.fail("reading the schema version");
  }
  int64_t version = db.query_int("PRAGMA user_version");
  if (app_id != 0 && app_id != kResultsApplicationId)
    db.fail_plain("is a SQLite database of another application (application_id " + std::to_string(app_id) +
                  "), not a dbsa results database");
  if (version > kResultsSchemaVersion)
    db.fail_plain("schema version " + std::to_string(version) + " is newer than this dbsa supports (" +
                  std::to_string(kResultsSchemaVersion) + "); use a newer dbsa to read it");
  if (version < 0) db.fail_plain("invalid schema version " + std::to_string(version));
  if (version == 0 && db.query_int("SELECT count(*) FROM sqlite_master") > 0)
    db.fail_plain("is a SQLite database without a schema version, not a dbsa results database");
  return static_cast<int>(version);
}

}  // namespace

int check_results_schema(SqliteDb& db) {
  // The version and the table list must come from one snapshot: between two separate reads another
  // process may commit its creation of the schema, and a database being created would then look like a
  // foreign one (seen as a flaky concurrent-writers test).
  if (sqlite3_get_autocommit(db.handle()) == 0) return check_schema_snapshot(db);
  SqliteTransaction tx(db, SqliteTransaction::Kind::Read);
  const int version = check_schema_snapshot(db);
  tx.commit();
  return version;
}

void migrate_results_schema(SqliteDb& db) {
  if (check_results_schema(db) == kResultsSchemaVersion) return;
  SqliteTransaction tx(db);
  // Another process may have migrated between the check and the write lock.
  int version = check_results_schema(db);
  for (const Migration& m : kMigrations) {
    if (m.to_version <= version) continue;
    try {
      m.apply(db);
    } catch (const std::exception& e) {
      // The transaction rolls back: the file stays at its old version, untouched.
      throw StoreError(std::string(e.what()) + " (while migrating schema v" +
                       std::to_string(m.to_version - 1) + " to v" + std::to_string(m.to_version) +
                       "; the file is unchanged)");
    }
    db.exec("PRAGMA user_version = " + std::to_string(m.to_version));
  }
  tx.commit();
}

}  // namespace dbsa
