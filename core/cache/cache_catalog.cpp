#include "cache/cache_catalog.h"

#include <cstring>
#include <string_view>
#include <utility>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "cache/cache_error.h"
#include "cache/fingerprint.h"

namespace dbsa {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_digest TEXT NOT NULL,
  model_fingerprint TEXT NOT NULL,
  tokenizer_fingerprint TEXT NOT NULL,
  pool_fingerprint TEXT NOT NULL,
  block_demos INTEGER NOT NULL,
  grouping TEXT NOT NULL,
  sink_blocks INTEGER NOT NULL,
  prev_blocks INTEGER NOT NULL,
  bos INTEGER NOT NULL,
  dtype TEXT NOT NULL,
  n_layer INTEGER NOT NULL,
  n_head_kv INTEGER NOT NULL,
  head_dim INTEGER NOT NULL,
  format_version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  n_blocks INTEGER NOT NULL,
  row_checksum TEXT NOT NULL
);
CREATE TABLE blocks (
  block_index INTEGER PRIMARY KEY,
  demo_ids TEXT NOT NULL,
  n_tokens INTEGER NOT NULL,
  token_ids BLOB NOT NULL,
  text TEXT NOT NULL,
  labels TEXT NOT NULL,
  file_name TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  byte_length INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  row_checksum TEXT NOT NULL
);
)sql";

std::string hex64(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xf];
  return s;
}

uint64_t parse_hex64(const std::string& s, const std::string& where) {
  if (s.size() != 16) throw CacheError(where + ": checksum '" + s + "' is not 16 hex digits");
  uint64_t v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint64_t>(c - 'a' + 10);
    } else {
      throw CacheError(where + ": checksum '" + s + "' is not 16 hex digits");
    }
  }
  return v;
}

// The checksum of a row: a Fingerprint (length-prefixed XXH3-128) of its fields as stored.
std::string meta_row_checksum(const CacheMeta& m) {
  const CacheKey& k = m.key;
  Fingerprint h;
  h.add(m.key_digest).add(k.model_fingerprint).add(k.tokenizer_fingerprint).add(k.pool_fingerprint);
  h.add_int(k.block_demos).add(k.grouping).add_int(k.pattern.sink).add_int(k.pattern.prev);
  h.add_int(k.bos ? 1 : 0).add(kv_dtype_name(k.dtype)).add_int(m.shape.n_layer);
  h.add_int(m.shape.n_head_kv).add_int(m.shape.head_dim).add_int(m.format_version);
  h.add(m.created_at).add_int(m.n_blocks);
  return h.hex();
}

// The fields of a blocks row in their stored form (JSON text, blob, hex).
struct StoredBlockRow {
  int64_t index = 0;
  std::string demo_ids;
  int64_t n_tokens = 0;
  std::span<const std::byte> token_ids;
  std::string_view text;
  std::string labels;
  std::string_view file_name;
  int64_t byte_offset = 0;
  int64_t byte_length = 0;
  std::string checksum;

  std::string row_checksum() const {
    Fingerprint h;
    h.add_int(index).add(demo_ids).add_int(n_tokens).add_bytes(token_ids).add(text).add(labels);
    h.add(file_name).add_int(byte_offset).add_int(byte_length).add(checksum);
    return h.hex();
  }
};

int32_t user_version(const SqliteDb& db) {
  SqliteStatement st(db, "PRAGMA user_version");
  if (!st.step()) db.fail("reading the schema version");
  return static_cast<int32_t>(st.column_int(0));
}

}  // namespace

CacheCatalog::CacheCatalog(SqliteDb db) : db_(std::move(db)) {}

namespace {

[[noreturn]] void raise_cache_error(const std::string& message) {
  throw CacheError(message);
}

constexpr SqliteErrors kCatalogErrors{"catalog", &raise_cache_error};
// Readers may meet a writer committing an append; they wait for it instead of failing.
constexpr int kCatalogBusyTimeoutMs = 10000;

}  // namespace

CacheCatalog CacheCatalog::create(const std::filesystem::path& file, const CacheMeta& meta) {
  if (std::filesystem::exists(file)) throw CacheError("catalog '" + file.string() + "' already exists");
  SqliteDb db(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kCatalogErrors, kCatalogBusyTimeoutMs);
  db.exec("PRAGMA synchronous = FULL");
  db.exec("BEGIN");
  db.exec(kSchema);
  db.exec("PRAGMA user_version = " + std::to_string(kCatalogSchemaVersion));
  {
    SqliteStatement st(
        db,
        "INSERT INTO meta (id, key_digest, model_fingerprint, tokenizer_fingerprint, pool_fingerprint, "
        "block_demos, grouping, sink_blocks, prev_blocks, bos, dtype, n_layer, n_head_kv, head_dim, "
        "format_version, created_at, n_blocks, row_checksum) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)");
    const CacheKey& k = meta.key;
    st.bind(1, k.digest());
    st.bind(2, k.model_fingerprint);
    st.bind(3, k.tokenizer_fingerprint);
    st.bind(4, k.pool_fingerprint);
    st.bind(5, int64_t{k.block_demos});
    st.bind(6, k.grouping);
    st.bind(7, int64_t{k.pattern.sink});
    st.bind(8, int64_t{k.pattern.prev});
    st.bind(9, int64_t{k.bos ? 1 : 0});
    st.bind(10, std::string(kv_dtype_name(k.dtype)));
    st.bind(11, int64_t{meta.shape.n_layer});
    st.bind(12, int64_t{meta.shape.n_head_kv});
    st.bind(13, int64_t{meta.shape.head_dim});
    st.bind(14, int64_t{meta.format_version});
    st.bind(15, meta.created_at);
    CacheMeta stored = meta;
    stored.key_digest = k.digest();
    stored.n_blocks = 0;
    st.bind(16, meta_row_checksum(stored));
    st.step();
  }
  db.exec("COMMIT");
  CacheCatalog cat(std::move(db));
  cat.load_meta();
  return cat;
}

CacheCatalog CacheCatalog::open(const std::filesystem::path& file, bool writable) {
  if (!std::filesystem::is_regular_file(file))
    throw CacheError("catalog '" + file.string() + "' does not exist");
  SqliteDb db(file, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, kCatalogErrors,
              kCatalogBusyTimeoutMs);
  if (writable) db.exec("PRAGMA synchronous = FULL");
  const int32_t version = user_version(db);
  if (version != kCatalogSchemaVersion) {
    throw CacheError(
        "catalog '" + file.string() + "' has schema version " + std::to_string(version) +
        ", this build reads version " + std::to_string(kCatalogSchemaVersion) + " (" +
        (version > kCatalogSchemaVersion ? "written by a newer dbsa; upgrade" : "rebuild the cache") + ")");
  }
  CacheCatalog cat(std::move(db));
  cat.load_meta();
  return cat;
}

void CacheCatalog::load_meta() {
  SqliteStatement st(
      db_,
      "SELECT key_digest, model_fingerprint, tokenizer_fingerprint, pool_fingerprint, block_demos, "
      "grouping, sink_blocks, prev_blocks, bos, dtype, n_layer, n_head_kv, head_dim, format_version, "
      "created_at, n_blocks, row_checksum FROM meta WHERE id = 1");
  if (!st.step()) throw CacheError("catalog '" + file().string() + "': table meta has no row");
  CacheMeta m;
  m.key_digest = st.column_text(0);
  m.key.model_fingerprint = st.column_text(1);
  m.key.tokenizer_fingerprint = st.column_text(2);
  m.key.pool_fingerprint = st.column_text(3);
  m.key.block_demos = static_cast<int32_t>(st.column_int(4));
  m.key.grouping = st.column_text(5);
  m.key.pattern.sink = static_cast<int32_t>(st.column_int(6));
  m.key.pattern.prev = static_cast<int32_t>(st.column_int(7));
  m.key.bos = st.column_int(8) != 0;
  try {
    m.key.dtype = parse_kv_dtype(st.column_text(9));
  } catch (const CacheError& e) {
    throw CacheError("catalog '" + file().string() + "': meta.dtype: " + e.what());
  }
  m.shape.n_layer = static_cast<int32_t>(st.column_int(10));
  m.shape.n_head_kv = static_cast<int32_t>(st.column_int(11));
  m.shape.head_dim = static_cast<int32_t>(st.column_int(12));
  m.format_version = static_cast<int32_t>(st.column_int(13));
  m.created_at = st.column_text(14);
  m.n_blocks = static_cast<int32_t>(st.column_int(15));
  const std::string where = "catalog '" + file().string() + "', table meta";
  if (st.column_text(16) != meta_row_checksum(m)) {
    throw CacheError(where +
                     ": the row's checksum does not match its fields (the catalog was modified or is "
                     "damaged); rebuild or delete the cache");
  }
  try {
    m.key.pattern.validate();
  } catch (const std::invalid_argument& e) {
    throw CacheError(where + ": sink_blocks / prev_blocks: " + e.what());
  }
  if (m.format_version != static_cast<int32_t>(kBlockFormatVersion)) {
    throw CacheError("catalog '" + file().string() + "': block format version " +
                     std::to_string(m.format_version) + ", this build reads version " +
                     std::to_string(kBlockFormatVersion));
  }
  if (m.key_digest != m.key.digest()) {
    // The key fields were edited after the build (or the row is corrupt): the folder name lies.
    throw CacheError("catalog '" + file().string() + "': meta.key_digest " + m.key_digest +
                     " does not match the stored key fields (digest " + m.key.digest() + ")");
  }
  // Bounded so that byte-size arithmetic on a corrupt catalog cannot overflow.
  auto in_range = [](int32_t v, int32_t hi) { return v > 0 && v <= hi; };
  if (!in_range(m.shape.n_layer, 4096) || !in_range(m.shape.n_head_kv, 4096) ||
      !in_range(m.shape.head_dim, 65536)) {
    throw CacheError("catalog '" + file().string() + "': meta has an invalid KV shape (n_layer " +
                     std::to_string(m.shape.n_layer) + ", n_head_kv " + std::to_string(m.shape.n_head_kv) +
                     ", head_dim " + std::to_string(m.shape.head_dim) + ")");
  }
  meta_ = std::move(m);
}

int32_t CacheCatalog::block_count() const {
  SqliteStatement st(db_, "SELECT COUNT(*), (SELECT n_blocks FROM meta WHERE id = 1) FROM blocks");
  if (!st.step()) db_.fail("counting blocks");
  const int64_t rows = st.column_int(0), recorded = st.column_int(1);
  if (rows != recorded) {
    throw CacheError("catalog '" + file().string() + "': " + std::to_string(rows) +
                     " block rows, table meta records " + std::to_string(recorded) +
                     " (the catalog is damaged); rebuild or delete the cache");
  }
  return static_cast<int32_t>(rows);
}

std::vector<BlockRecord> CacheCatalog::read_blocks() const {
  // One read transaction: the rows and meta's count come from the same commit even while an append
  // commits in another process.
  db_.exec("BEGIN");
  std::vector<BlockRecord> out;
  try {
    const int32_t expected = block_count();
    SqliteStatement st(
        db_,
        "SELECT block_index, demo_ids, n_tokens, token_ids, text, labels, file_name, byte_offset, "
        "byte_length, checksum, row_checksum FROM blocks ORDER BY block_index");
    while (st.step()) {
      StoredBlockRow s;
      s.index = st.column_int(0);
      const std::string where = "catalog '" + file().string() + "', block " + std::to_string(s.index);
      if (s.index != static_cast<int64_t>(out.size())) {
        throw CacheError(where + ": block indices are not contiguous (expected " +
                         std::to_string(out.size()) + ")");
      }
      s.demo_ids = st.column_text(1);
      s.n_tokens = st.column_int(2);
      s.token_ids = st.column_blob(3);
      const std::string text = st.column_text(4);
      s.text = text;
      s.labels = st.column_text(5);
      const std::string file_name = st.column_text(6);
      s.file_name = file_name;
      s.byte_offset = st.column_int(7);
      s.byte_length = st.column_int(8);
      s.checksum = st.column_text(9);
      if (st.column_text(10) != s.row_checksum()) {
        throw CacheError(where +
                         ": the row's checksum does not match its fields (the catalog was modified or "
                         "is damaged); rebuild or delete the cache");
      }
      BlockRecord r;
      r.index = static_cast<int32_t>(s.index);
      try {
        r.demo_ids = nlohmann::json::parse(s.demo_ids).get<std::vector<int64_t>>();
        r.labels = nlohmann::json::parse(s.labels).get<std::vector<std::string>>();
      } catch (const nlohmann::json::exception& e) {
        throw CacheError(where + ": demo_ids/labels are not the expected JSON arrays: " + e.what());
      }
      if (s.token_ids.size() % 4 != 0 || static_cast<int64_t>(s.token_ids.size() / 4) != s.n_tokens) {
        throw CacheError(where + ": token_ids holds " + std::to_string(s.token_ids.size()) +
                         " bytes, expected 4 x n_tokens (" + std::to_string(s.n_tokens) + ")");
      }
      r.token_ids.resize(s.token_ids.size() / 4);
      if (!s.token_ids.empty()) std::memcpy(r.token_ids.data(), s.token_ids.data(), s.token_ids.size());
      r.text = text;
      r.file_name = file_name;
      r.byte_offset = static_cast<uint64_t>(s.byte_offset);
      r.byte_length = static_cast<uint64_t>(s.byte_length);
      r.checksum = parse_hex64(s.checksum, where);
      out.push_back(std::move(r));
    }
    if (static_cast<int32_t>(out.size()) != expected) {
      throw CacheError("catalog '" + file().string() + "': " + std::to_string(out.size()) +
                       " readable block rows, table meta records " + std::to_string(expected) +
                       " (the catalog is damaged); rebuild or delete the cache");
    }
    db_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return out;
}

void CacheCatalog::append_blocks(std::span<const BlockRecord> rows) {
  // IMMEDIATE takes the write lock before the count is read, so two appenders cannot both pass (the
  // cache's lock already serialises writers; this keeps the catalog sound even without it).
  db_.exec("BEGIN IMMEDIATE");
  try {
    load_meta();
    const int32_t first = block_count();
    SqliteStatement st(
        db_,
        "INSERT INTO blocks (block_index, demo_ids, n_tokens, token_ids, text, labels, file_name, "
        "byte_offset, byte_length, checksum, row_checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const BlockRecord& r = rows[i];
      if (r.index != first + static_cast<int32_t>(i)) {
        throw CacheError("catalog '" + file().string() + "': new block " + std::to_string(r.index) +
                         " does not follow the " + std::to_string(first) +
                         " blocks already there (another process appended meanwhile?)");
      }
      StoredBlockRow s;
      s.index = r.index;
      s.demo_ids = nlohmann::json(r.demo_ids).dump();
      s.n_tokens = r.n_tokens();
      s.token_ids = std::as_bytes(std::span(r.token_ids));
      s.text = r.text;
      try {
        s.labels = nlohmann::json(r.labels).dump();
      } catch (const nlohmann::json::exception& e) {
        throw CacheError("catalog '" + file().string() + "', block " + std::to_string(r.index) +
                         ": a label is not valid UTF-8: " + e.what());
      }
      s.file_name = r.file_name;
      s.byte_offset = static_cast<int64_t>(r.byte_offset);
      s.byte_length = static_cast<int64_t>(r.byte_length);
      s.checksum = hex64(r.checksum);
      st.bind(1, s.index);
      st.bind(2, s.demo_ids);
      st.bind(3, s.n_tokens);
      st.bind_blob(4, s.token_ids);
      st.bind(5, r.text);
      st.bind(6, s.labels);
      st.bind(7, r.file_name);
      st.bind(8, s.byte_offset);
      st.bind(9, s.byte_length);
      st.bind(10, s.checksum);
      st.bind(11, s.row_checksum());
      st.step();
      st.reset();
    }
    CacheMeta m = meta_;
    m.n_blocks = first + static_cast<int32_t>(rows.size());
    SqliteStatement up(db_, "UPDATE meta SET n_blocks = ?, row_checksum = ? WHERE id = 1");
    up.bind(1, int64_t{m.n_blocks});
    up.bind(2, meta_row_checksum(m));
    up.step();
    db_.exec("COMMIT");
    meta_ = std::move(m);
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace dbsa
