// Schema creation, migration of a v1 file written with raw SQL, and refusal of files the store must
// not touch (newer schema, foreign SQLite, not SQLite, missing, read-only).
#include "store/results_schema.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "store/results_db.h"
#include "store/store_error.h"
#include "store_test_util.h"

namespace dbsa {
namespace {

using test::raw_int;
using test::raw_sql;

// What dbsa with schema v1 wrote: kept here verbatim, independent of results_schema.cpp, because an
// old file does not change when the code does.
constexpr const char* kV1File = R"sql(
PRAGMA application_id = 1145197394;
CREATE TABLE runs (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, method TEXT NOT NULL,
  dataset TEXT NOT NULL, model_path TEXT NOT NULL, model_fingerprint TEXT NOT NULL, params_json TEXT NOT NULL,
  blocks INTEGER NOT NULL, block_demos INTEGER NOT NULL, n_select INTEGER NOT NULL, sink INTEGER NOT NULL,
  prev INTEGER NOT NULL, grouping TEXT NOT NULL, block_order TEXT NOT NULL, seed INTEGER NOT NULL,
  test_size INTEGER NOT NULL, shard TEXT NOT NULL, tool_version TEXT NOT NULL, hostname TEXT NOT NULL,
  cpu_model TEXT NOT NULL, cpu_cores INTEGER NOT NULL, ram_bytes INTEGER NOT NULL, started_at TEXT NOT NULL,
  finished_at TEXT, status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed')),
  error TEXT NOT NULL DEFAULT '', setup_seconds REAL NOT NULL DEFAULT 0, cache_hit INTEGER NOT NULL DEFAULT 0,
  kv_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE predictions (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  query_index INTEGER NOT NULL, example_id TEXT NOT NULL, gold TEXT NOT NULL, prediction TEXT NOT NULL,
  correct INTEGER NOT NULL, selected_blocks TEXT NOT NULL, block_scores TEXT NOT NULL,
  n_tokens_attended INTEGER NOT NULL, retrieval_seconds REAL NOT NULL, assembly_seconds REAL NOT NULL,
  forward_seconds REAL NOT NULL, decode_seconds REAL NOT NULL, total_seconds REAL NOT NULL,
  PRIMARY KEY (run_id, query_index));
CREATE TABLE aggregates (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  n INTEGER NOT NULL, n_correct INTEGER NOT NULL, accuracy REAL NOT NULL, query_mean_seconds REAL NOT NULL);
INSERT INTO runs VALUES (1, 'uuid-v1', 'dbsa', 'trec', 'm.gguf', 'fp', '{}', 4, 10, 2, 1, 2, 'balanced',
  'in-order', 7, 4, '', 'v0.0.9', 'h', 'c', 2, 1024, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z',
  'finished', '', 3.0, 0, 4096);
INSERT INTO predictions VALUES (1, 0, 'a', 'X', 'X', 1, '[0,1]', '[0.0,2.0]', 10, 0, 0, 0, 0, 4.0),
  (1, 1, 'b', 'X', 'Y', 0, '[0,1]', '[0.0,2.0]', 10, 0, 0, 0, 0, 1.0),
  (1, 2, 'c', 'X', 'X', 1, '[0,1]', '[0.0,2.0]', 10, 0, 0, 0, 0, 3.0),
  (1, 3, 'd', 'X', 'X', 1, '[0,1]', '[0.0,2.0]', 10, 0, 0, 0, 0, 2.0);
INSERT INTO aggregates VALUES (1, 4, 3, 0.75, 2.5);
PRAGMA user_version = 1;
)sql";

std::string open_error(const std::filesystem::path& file, OpenMode mode) {
  try {
    ResultsDb db(file, mode);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

TEST(ResultsSchema, NewFileGetsCurrentSchemaInWalMode) {
  auto file = test::scratch_dir("schema_new") / "r.sqlite";
  {
    ResultsDb db(file);
    EXPECT_EQ(db.version_on_open(), 0);
  }
  EXPECT_EQ(raw_int(file, "PRAGMA user_version"), kResultsSchemaVersion);
  EXPECT_EQ(raw_int(file, "PRAGMA application_id"), kResultsApplicationId);
  EXPECT_EQ(raw_int(file,
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                    "('runs', 'predictions', 'aggregates')"),
            3);
  EXPECT_EQ(raw_int(file,
                    "SELECT count(*) FROM pragma_table_info('aggregates') WHERE name = "
                    "'query_p95_seconds'"),
            1);
  EXPECT_EQ(raw_int(file, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  ResultsDb again(file, OpenMode::ReadWrite);
  EXPECT_EQ(again.version_on_open(), kResultsSchemaVersion);
}

TEST(ResultsSchema, V1FileIsMigratedInPlaceWithPercentilesBackfilled) {
  auto file = test::scratch_dir("schema_v1") / "old.sqlite";
  raw_sql(file, kV1File);
  ASSERT_EQ(raw_int(file, "PRAGMA user_version"), 1);
  {
    ResultsDb db(file, OpenMode::ReadWrite);
    EXPECT_EQ(db.version_on_open(), 1);
    auto runs = db.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].info.uuid, "uuid-v1");
    EXPECT_EQ(runs[0].status, RunStatus::Finished);
    EXPECT_EQ(runs[0].setup.kv_bytes, 4096);
    auto a = db.aggregates(runs[0].id);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->n, 4);
    EXPECT_DOUBLE_EQ(a->accuracy, 0.75);
    // latencies 1 2 3 4: p50 = 2.5, p95 = 3 + 0.85 = 3.85 (linear interpolation)
    EXPECT_DOUBLE_EQ(a->query_p50_seconds, 2.5);
    EXPECT_DOUBLE_EQ(a->query_p95_seconds, 3.85);
    EXPECT_EQ(db.predictions(runs[0].id).at(0).block_scores, (std::vector<double>{0.0, 2.0}));
    EXPECT_TRUE(db.predictions(runs[0].id).at(0).retrieved_demos.empty());  // v3: not recorded before
  }
  EXPECT_EQ(raw_int(file, "PRAGMA user_version"), kResultsSchemaVersion);
  EXPECT_EQ(raw_int(file, "SELECT count(*) FROM sqlite_master WHERE name = 'runs_by_dataset_method'"), 1);
}

TEST(ResultsSchema, FailedMigrationLeavesTheFileAtItsOldVersion) {
  auto file = test::scratch_dir("schema_v1_fail") / "old.sqlite";
  raw_sql(file, kV1File);
  // Something the v2 step also creates: the step fails half-way, after altering the aggregates table.
  raw_sql(file, "CREATE TABLE runs_by_dataset_method (x INTEGER);");
  std::string err = open_error(file, OpenMode::ReadWrite);
  EXPECT_NE(err.find("old.sqlite"), std::string::npos) << err;
  EXPECT_NE(err.find("while migrating schema v1 to v2; the file is unchanged"), std::string::npos) << err;
  EXPECT_EQ(raw_int(file, "PRAGMA user_version"), 1);
  EXPECT_EQ(raw_int(file, "SELECT count(*) FROM pragma_table_info('aggregates')"), 5);
  EXPECT_EQ(raw_int(file, "SELECT count(*) FROM runs"), 1);
}

TEST(ResultsSchema, ReadOnlyOpenOfV1MigratesAnInMemoryCopyOnly) {
  auto file = test::scratch_dir("schema_v1_ro") / "old.sqlite";
  raw_sql(file, kV1File);
  ResultsDb db(file, OpenMode::ReadOnly);
  EXPECT_EQ(db.version_on_open(), 1);
  auto a = db.aggregates(db.runs().at(0).id);
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ(a->query_p95_seconds, 3.85);
  EXPECT_EQ(raw_int(file, "PRAGMA user_version"), 1);
}

TEST(ResultsSchema, NewerVersionIsRefusedNamingFileAndVersions) {
  auto file = test::scratch_dir("schema_newer") / "future.sqlite";
  raw_sql(file,
          "PRAGMA application_id = 1145197394; CREATE TABLE runs (id INTEGER); PRAGMA user_version = 9;");
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite, OpenMode::Create}) {
    std::string err = open_error(file, mode);
    EXPECT_NE(err.find("future.sqlite"), std::string::npos) << err;
    EXPECT_NE(err.find("schema version 9 is newer than this dbsa supports (" +
                       std::to_string(kResultsSchemaVersion) + ")"),
              std::string::npos)
        << err;
  }
  EXPECT_EQ(raw_int(file, "PRAGMA user_version"), 9);
}

TEST(ResultsSchema, ForeignAndNonSqliteFilesAreRefused) {
  auto dir = test::scratch_dir("schema_foreign");
  raw_sql(dir / "catalog.sqlite", "CREATE TABLE blocks (id INTEGER);");
  EXPECT_NE(open_error(dir / "catalog.sqlite", OpenMode::Create).find("not a dbsa results database"),
            std::string::npos);
  raw_sql(dir / "other.sqlite", "PRAGMA application_id = 42; PRAGMA user_version = 1;");
  EXPECT_NE(
      open_error(dir / "other.sqlite", OpenMode::ReadOnly).find("another application (application_id 42)"),
      std::string::npos);
  std::ofstream(dir / "notes.txt") << "this is plain text, long enough to not look like an empty database\n";
  std::string err = open_error(dir / "notes.txt", OpenMode::ReadOnly);
  EXPECT_NE(err.find("notes.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("not a database"), std::string::npos) << err;
  err = open_error(dir / "notes.txt", OpenMode::Create);
  EXPECT_NE(err.find("not a database"), std::string::npos) << err;
}

TEST(ResultsSchema, MissingAndReadOnlyFiles) {
  auto dir = test::scratch_dir("schema_missing");
  EXPECT_EQ(open_error(dir / "none.sqlite", OpenMode::ReadOnly),
            "results database '" + (dir / "none.sqlite").string() + "': no such file");
  EXPECT_NE(open_error(dir / "none.sqlite", OpenMode::ReadWrite).find("no such file"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "none.sqlite"));
  EXPECT_NE(
      open_error(dir / "no-dir" / "x.sqlite", OpenMode::Create).find("x.sqlite': cannot write: folder '"),
      std::string::npos);

  // A folder nobody may create files in, even root (tests may run as root in containers).
  std::string err = open_error("/proc/dbsa-results.sqlite", OpenMode::Create);
  EXPECT_NE(err.find("'/proc/dbsa-results.sqlite': cannot "), std::string::npos) << err;
}

TEST(ResultsSchema, WriteProtectedFileAndFolderAreRefusedForWriting) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  auto dir = test::scratch_dir("schema_write_protected");
  auto file = dir / "locked.sqlite";
  { ResultsDb db(file); }
  ASSERT_EQ(chmod(file.c_str(), 0444), 0);
  std::string err = open_error(file, OpenMode::ReadWrite);
  EXPECT_NE(err.find("locked.sqlite': cannot write: the file is read-only"), std::string::npos) << err;
  EXPECT_EQ(open_error(file, OpenMode::ReadOnly), "");
  chmod(file.c_str(), 0644);

  auto ro_dir = dir / "ro";
  std::filesystem::create_directory(ro_dir);
  {
    ResultsDb db(ro_dir / "archived.sqlite");
    test::write_finished_run(db, "trec", "dbsa", {true, false}, {1, 2});
  }
  ASSERT_EQ(chmod(ro_dir.c_str(), 0555), 0);
  // A WAL file in a folder the reader cannot write (no -shm can be created) is still readable.
  {
    ResultsDb archived(ro_dir / "archived.sqlite", OpenMode::ReadOnly);
    EXPECT_EQ(archived.runs().size(), 1u);
    std::string rw = open_error(ro_dir / "archived.sqlite", OpenMode::ReadWrite);
    EXPECT_NE(rw.find("archived.sqlite"), std::string::npos) << rw;
    EXPECT_NE(rw.find("is not writable"), std::string::npos) << rw;
  }
  err = open_error(ro_dir / "new.sqlite", OpenMode::Create);
  EXPECT_NE(err.find("new.sqlite': cannot write: folder '" + ro_dir.string() + "' is not writable"),
            std::string::npos)
      << err;
  EXPECT_FALSE(std::filesystem::exists(ro_dir / "new.sqlite"));
  chmod(ro_dir.c_str(), 0755);
}

}  // namespace
}  // namespace dbsa
