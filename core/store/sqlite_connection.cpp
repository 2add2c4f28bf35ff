#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <utility>

#include "store/store_error.h"

namespace dbsa {

SqliteConnection::SqliteConnection(const std::filesystem::path& file, int flags)
    : SqliteConnection(file.string(), flags, file) {}

SqliteConnection::SqliteConnection(const std::string& target, int flags, const std::filesystem::path& file)
    : file_(file) {
  int rc = sqlite3_open_v2(target.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("results database '" + file_.string() + "': cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

SqliteConnection SqliteConnection::memory_copy_of(const SqliteConnection& source) {
  SqliteConnection mem;
  mem.file_ = source.file_;
  if (sqlite3_open_v2(":memory:", &mem.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    mem.fail("opening an in-memory copy");
  sqlite3_backup* backup = sqlite3_backup_init(mem.db_, "main", source.db_, "main");
  if (!backup) mem.fail("copying into memory");
  int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) source.fail("copying into memory");
  return mem;
}

SqliteConnection::~SqliteConnection() {
  if (db_) sqlite3_close_v2(db_);
}

SqliteConnection::SqliteConnection(SqliteConnection&& other) noexcept
    : file_(std::move(other.file_)), db_(std::exchange(other.db_, nullptr)) {}

SqliteConnection& SqliteConnection::operator=(SqliteConnection&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    file_ = std::move(other.file_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

namespace {

// SQLite says "disk I/O error" for a full disk or a file size limit too; name the likely cause.
std::string with_cause(sqlite3* db, std::string msg) {
  const int code = db ? (sqlite3_extended_errcode(db) & 0xFF) : SQLITE_OK;
  if (code == SQLITE_FULL || code == SQLITE_IOERR)
    msg += " (is the disk full, or a file size limit reached?)";
  return msg;
}

}  // namespace

void SqliteConnection::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = with_cause(db_, err ? err : sqlite3_errmsg(db_));
    sqlite3_free(err);
    fail_plain("executing '" + sql.substr(0, 60) + "': " + msg);
  }
}

int64_t SqliteConnection::query_int(const std::string& sql) {
  SqliteStatement st(*this, sql);
  if (!st.step()) fail_plain("'" + sql + "' returned no row");
  return st.column_int(0);
}

int64_t SqliteConnection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

bool SqliteConnection::read_only() const {
  return sqlite3_db_readonly(db_, "main") == 1;
}

void SqliteConnection::fail(const std::string& what) const {
  fail_plain(what + ": " + (db_ ? with_cause(db_, sqlite3_errmsg(db_)) : std::string("no connection")));
}

void SqliteConnection::fail_plain(const std::string& what) const {
  throw StoreError("results database '" + file_.string() + "': " + what);
}

SqliteStatement::SqliteStatement(const SqliteConnection& db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    db_.fail("preparing '" + sql.substr(0, 60) + "'");
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

void SqliteStatement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("binding parameter");
}
void SqliteStatement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_.fail("binding parameter");
}
void SqliteStatement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_.fail("binding parameter");
}
void SqliteStatement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("binding parameter");
}
void SqliteStatement::bind_value(int index, const sqlite3_value* value) {
  if (sqlite3_bind_value(stmt_, index, value) != SQLITE_OK) db_.fail("binding parameter");
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("running '" + sql_.substr(0, 60) + "'");
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int SqliteStatement::column_count() const {
  return sqlite3_column_count(stmt_);
}
std::string SqliteStatement::column_name(int index) const {
  return sqlite3_column_name(stmt_, index);
}
bool SqliteStatement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
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
sqlite3_value* SqliteStatement::column_value(int index) const {
  return sqlite3_column_value(stmt_, index);
}

SqliteTransaction::SqliteTransaction(SqliteConnection& db, Kind kind) : db_(db) {
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
