#pragma once
// The one RAII layer over the SQLite C API, serving the KV store's catalog (cache/cache_catalog.h) and
// the results database (store/results_db.h). Every error names the database and its file —
// "<noun> '<file>': <what>: <sqlite message>" — and is thrown as the owning layer's exception type.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_value;

namespace dbsa {

// How a database's errors read and what they are thrown as.
struct SqliteErrors {
  std::string_view noun;                      // "catalog", "results database"
  void (*raise)(const std::string& message);  // throws the layer's exception; must not return
};

class SqliteDb {
 public:
  SqliteDb() = default;  // no database (closed)
  // flags: SQLITE_OPEN_* values. busy_timeout_ms: how long a statement waits for another connection's
  // lock before failing.
  SqliteDb(const std::filesystem::path& file, int flags, const SqliteErrors& errors, int busy_timeout_ms);
  // Opens `target` (e.g. a file: URI) but names `file` in errors.
  SqliteDb(const std::string& target, int flags, const std::filesystem::path& file,
           const SqliteErrors& errors, int busy_timeout_ms);
  // An in-memory copy of `source` (SQLite backup API); errors still name the source file.
  static SqliteDb memory_copy_of(const SqliteDb& source);
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const std::string& sql) const;
  int64_t query_int(const std::string& sql) const;  // first column of the first row
  int64_t last_insert_rowid() const;
  bool read_only() const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& file() const { return file_; }
  // "<noun> '<file>': <what>: <sqlite message>", a full disk named as the likely cause of an I/O error.
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_plain(const std::string& what) const;  // without the SQLite message

 private:
  std::filesystem::path file_;
  SqliteErrors errors_{};
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  SqliteStatement(const SqliteDb& db, const std::string& sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // 1-based, as SQLite.
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, const std::string& value);
  void bind_blob(int index, std::span<const std::byte> value);
  void bind_value(int index, const sqlite3_value* value);  // copies a value read from another statement
  bool step();                                             // true while a row is available; throws on errors
  void reset();                                            // ready to bind and run again

  // 0-based, as SQLite.
  int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::span<const std::byte> column_blob(int index) const;  // valid until the next step/reset
  sqlite3_value* column_value(int index) const;             // valid until the next step/reset

 private:
  const SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// Write: BEGIN IMMEDIATE takes the write lock up front, so a writer waits on the busy timeout instead
// of failing with SQLITE_BUSY when it upgrades a read transaction. Read: a deferred BEGIN, one consistent
// snapshot for several SELECTs. Rolls back unless commit() was called.
class SqliteTransaction {
 public:
  enum class Kind { Write, Read };
  explicit SqliteTransaction(const SqliteDb& db, Kind kind = Kind::Write);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  const SqliteDb& db_;
  bool open_ = true;
};

}  // namespace dbsa
