#include "cache/sqlite_db.h"

#include <utility>

#include <sqlite3.h>

#include "cache/cache_error.h"

namespace dbsa {

SqliteDb::SqliteDb(const std::filesystem::path& file, int flags) : file_(file) {
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw CacheError("catalog '" + file.string() + "': cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Readers may meet a writer committing an append; wait for it instead of failing.
  sqlite3_busy_timeout(db_, 10000);
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close(db_);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : file_(std::move(other.file_)), db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close(db_);
    file_ = std::move(other.file_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

void SqliteDb::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw CacheError("catalog '" + file_.string() + "': executing \"" + sql.substr(0, 60) + "\": " + msg);
  }
}

void SqliteDb::fail(const std::string& what) const {
  throw CacheError("catalog '" + file_.string() + "': " + what + ": " + sqlite3_errmsg(db_));
}

SqliteStmt::SqliteStmt(const SqliteDb& db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    db.fail("preparing \"" + sql.substr(0, 60) + "\"");
  }
}

SqliteStmt::~SqliteStmt() {
  sqlite3_finalize(stmt_);
}

void SqliteStmt::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
    db_.fail("binding parameter " + std::to_string(index));
}

void SqliteStmt::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    db_.fail("binding parameter " + std::to_string(index));
  }
}

void SqliteStmt::bind_blob(int index, std::span<const std::byte> value) {
  // A zero-length blob still binds as a blob (not NULL) with a non-null pointer.
  static const std::byte empty{};
  const void* p = value.empty() ? &empty : value.data();
  if (sqlite3_bind_blob(stmt_, index, p, static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("binding parameter " + std::to_string(index));
  }
}

bool SqliteStmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("running \"" + sql_.substr(0, 60) + "\"");
}

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStmt::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string SqliteStmt::column_text(int index) const {
  const auto* p = sqlite3_column_text(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::span<const std::byte> SqliteStmt::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return {static_cast<const std::byte*>(p), p ? static_cast<std::size_t>(n) : 0};
}

}  // namespace dbsa
