#pragma once
// A minimal RAII layer over the SQLite C API for the catalog; every error names the database file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace dbsa {

class SqliteDb {
 public:
  // flags: SQLITE_OPEN_* values. Throws CacheError naming the file.
  SqliteDb(const std::filesystem::path& file, int flags);
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const std::string& sql) const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& file() const { return file_; }
  // Throws CacheError: "catalog '<file>': <what>: <sqlite message>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

class SqliteStmt {
 public:
  SqliteStmt(const SqliteDb& db, const std::string& sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  void bind(int index, int64_t value);  // 1-based, as SQLite
  void bind(int index, const std::string& value);
  void bind_blob(int index, std::span<const std::byte> value);
  bool step();   // true while a row is available; throws on errors
  void reset();  // ready to bind and run again

  int64_t column_int(int index) const;  // 0-based, as SQLite
  std::string column_text(int index) const;
  std::span<const std::byte> column_blob(int index) const;  // valid until the next step/reset

 private:
  const SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

}  // namespace dbsa
