#pragma once
// A small RAII layer over the SQLite C API for the results database. Every error is a StoreError of
// the form "results database '<file>': <what>: <sqlite message>".
#include <cstdint>
#include <filesystem>
#include <string>

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_value;

namespace dbsa {

class SqliteConnection {
 public:
  SqliteConnection() = default;  // no database (closed)
  // flags: SQLITE_OPEN_* values. Sets a busy timeout so concurrent writers wait instead of failing.
  SqliteConnection(const std::filesystem::path& file, int flags);
  // Opens `target` (e.g. a file: URI) but names `file` in errors.
  SqliteConnection(const std::string& target, int flags, const std::filesystem::path& file);
  // An in-memory copy of `source` (SQLite backup API); errors still name the source file.
  static SqliteConnection memory_copy_of(const SqliteConnection& source);
  ~SqliteConnection();
  SqliteConnection(SqliteConnection&& other) noexcept;
  SqliteConnection& operator=(SqliteConnection&& other) noexcept;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  void exec(const std::string& sql);
  int64_t query_int(const std::string& sql);  // first column of the first row
  int64_t last_insert_rowid() const;
  bool read_only() const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& file() const { return file_; }
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_plain(const std::string& what) const;  // without the SQLite message

  static constexpr int kBusyTimeoutMs = 30000;

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  SqliteStatement(const SqliteConnection& db, const std::string& sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // 1-based, as SQLite.
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, const std::string& value);
  void bind_null(int index);
  void bind_value(int index, const sqlite3_value* value);  // copies a value read from another statement
  bool step();                                             // true while a row is available; throws on errors
  void reset();

  // 0-based, as SQLite.
  int column_count() const;
  std::string column_name(int index) const;
  bool column_is_null(int index) const;
  int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  sqlite3_value* column_value(int index) const;  // valid until the next step/reset

 private:
  const SqliteConnection& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// Write: BEGIN IMMEDIATE takes the write lock up front, so a writer waits on the busy timeout instead
// of failing with SQLITE_BUSY when it upgrades a read transaction. Read: a deferred BEGIN, one consistent
// snapshot for several SELECTs. Rolls back unless commit() was called.
class SqliteTransaction {
 public:
  enum class Kind { Write, Read };
  explicit SqliteTransaction(SqliteConnection& db, Kind kind = Kind::Write);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  SqliteConnection& db_;
  bool open_ = true;
};

}  // namespace dbsa
