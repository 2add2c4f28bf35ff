#pragma once
// The SQLite catalog of a cache folder (catalog.sqlite): one `meta` row (the key, the KV shape, the
// formats, the block count) and one `blocks` row per block (its demonstrations, tokens, text, labels,
// where its bytes are and their checksum). Every row carries an XXH3-64 of its own fields, verified
// when it is read, so a flipped bit in a token id or a block's text is refused like one in the K/V
// (and a lost row by the block count). The schema version is SQLite's user_version.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "cache/block_format.h"
#include "cache/cache_key.h"
#include "util/sqlite_db.h"

namespace dbsa {

inline constexpr int32_t kCatalogSchemaVersion = 2;
inline constexpr const char* kCatalogFileName = "catalog.sqlite";

struct CacheMeta {
  CacheKey key;
  KvShape shape;
  std::string key_digest;  // as stored; equals key.digest() for a sound catalog
  std::string created_at;  // ISO 8601, UTC
  int32_t format_version = static_cast<int32_t>(kBlockFormatVersion);
  int32_t n_blocks = 0;  // rows in `blocks`, kept with them in each append's transaction
};

struct BlockRecord {
  int32_t index = 0;
  std::vector<int64_t> demo_ids;    // pool indices of the block's demonstrations, in order
  std::vector<int32_t> token_ids;   // the block's tokens, in order
  std::string text;                 // the block's text (what BM25 indexes)
  std::vector<std::string> labels;  // the demonstrations' labels, in order
  std::string file_name;            // relative to the cache folder
  uint64_t byte_offset = 0;
  uint64_t byte_length = 0;
  uint64_t checksum = 0;  // XXH3-64 of the block's bytes
  int32_t n_tokens() const { return static_cast<int32_t>(token_ids.size()); }
};

class CacheCatalog {
 public:
  // A new catalog file with its meta row; throws CacheError if it exists.
  static CacheCatalog create(const std::filesystem::path& file, const CacheMeta& meta);
  // An existing catalog; refuses another schema version, naming both versions and the file.
  static CacheCatalog open(const std::filesystem::path& file, bool writable);

  const CacheMeta& meta() const { return meta_; }
  const std::filesystem::path& file() const { return db_.file(); }
  int32_t block_count() const;                   // meta.n_blocks, checked against the rows there
  std::vector<BlockRecord> read_blocks() const;  // ordered by index; validates every row and its checksum
  // Inserts all rows in one transaction. Rows must continue the index sequence (first = block_count());
  // otherwise (e.g. a concurrent append) nothing is written and CacheError says so.
  void append_blocks(std::span<const BlockRecord> rows);

 private:
  explicit CacheCatalog(SqliteDb db);
  void load_meta();

  SqliteDb db_;
  CacheMeta meta_;
};

}  // namespace dbsa
