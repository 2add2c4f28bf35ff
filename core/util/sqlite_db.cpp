#include "util/sqlite_db.h"

#include <sqlite3.h>

#include <exception>
#include <utility>

namespace dbsa {
namespace {

// SQLite says "disk I/O error" for a full disk or a file size limit too; name the likely cause.
std::string with_cause(sqlite3* db, std::string msg) {
  const int code = db ? (sqlite3_extended_errcode(db) & 0xFF) : SQLITE_OK;
  if (code == SQLITE_FULL || code == SQLITE_IOERR)
    msg += " (is the disk full, or a file size limit reached?)";
  return msg;
}

[[noreturn]] void raise(const SqliteErrors& errors, const std::filesystem::path& file,
                        const std::string& what) {
  const std::string message = std::string(errors.noun) + " '" + file.string() + "': " + what;
  if (errors.raise) errors.raise(message);
  // A raise that returns would let a failed statement pass as a success.
  std::terminate();
}

}  // namespace

SqliteDb::SqliteDb(const std::filesystem::path& file, int flags, const SqliteErrors& errors,
                   int busy_timeout_ms)
    : SqliteDb(file.string(), flags, file, errors, busy_timeout_ms) {}

SqliteDb::SqliteDb(const std::string& target, int flags, const std::filesystem::path& file,
                   const SqliteErrors& errors, int busy_timeout_ms)
    : file_(file), errors_(errors) {
  const int rc = sqlite3_open_v2(target.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    raise(errors_, file_, "cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

SqliteDb SqliteDb::memory_copy_of(const SqliteDb& source) {
  SqliteDb mem;
  mem.file_ = source.file_;
  mem.errors_ = source.errors_;
  if (sqlite3_open_v2(":memory:", &mem.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    mem.fail("opening an in-memory copy");
  sqlite3_backup* backup = sqlite3_backup_init(mem.db_, "main", source.db_, "main");
  if (!backup) mem.fail("copying into memory");
  const int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) source.fail("copying into memory");
  return mem;
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : file_(std::move(other.file_)), errors_(other.errors_), db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    file_ = std::move(other.file_);
    errors_ = other.errors_;
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

void SqliteDb::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = with_cause(db_, err ? err : sqlite3_errmsg(db_));
    sqlite3_free(err);
    fail_plain("executing '" + sql.substr(0, 60) + "': " + msg);
  }
}

int64_t SqliteDb::query_int(const std::string& sql) const {
  SqliteStatement st(*this, sql);
  if (!st.step()) fail_plain("'" + sql + "' returned no row");
  return st.column_int(0);
}

int64_t SqliteDb::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

bool SqliteDb::read_only() const {
  return sqlite3_db_readonly(db_, "main") == 1;
}

void SqliteDb::fail(const std::string& what) const {
  fail_plain(what + ": " + (db_ ? with_cause(db_, sqlite3_errmsg(db_)) : std::string("no connection")));
}

void SqliteDb::fail_plain(const std::string& what) const {
  raise(errors_, file_, what);
}

SqliteStatement::SqliteStatement(const SqliteDb& db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    db_.fail("preparing '" + sql.substr(0, 60) + "'");
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

void SqliteStatement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}
void SqliteStatement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}
void SqliteStatement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}
void SqliteStatement::bind_blob(int index, std::span<const std::byte> value) {
  // A zero-length blob still binds as a blob (not NULL) with a non-null pointer.
  static const std::byte empty{};
  const void* p = value.empty() ? &empty : value.data();
  if (sqlite3_bind_blob(stmt_, index, p, static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}
void SqliteStatement::bind_value(int index, const sqlite3_value* value) {
  if (sqlite3_bind_value(stmt_, index, value) != SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("running '" + sql_.substr(0, 60) + "'");
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}
double SqliteStatement::column_double(int index) const {
  return sqlite3_column_double(stmt_, index);
}
std::string SqliteStatement::column_text(int index) const {
  const auto* p = sqlite3_column_text(stmt_, index);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, index)))
           : std::string();
}
std::span<const std::byte> SqliteStatement::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return {static_cast<const std::byte*>(p), p ? static_cast<size_t>(n) : 0};
}
sqlite3_value* SqliteStatement::column_value(int index) const {
  return sqlite3_column_value(stmt_, index);
}

SqliteTransaction::SqliteTransaction(const SqliteDb& db, Kind kind) : db_(db) {
  db_.exec(kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN");
}

SqliteTransaction::~SqliteTransaction() {
  // Best effort: a failed rollback leaves SQLite to roll back when the connection closes.
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteTransaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace dbsa
