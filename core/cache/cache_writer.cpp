#include "cache/cache_writer.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include <unistd.h>
#include <xxhash.h>

#include "cache/cache_catalog.h"
#include "cache/cache_error.h"
#include "cache/cache_lock.h"
#include "util/atomic_file.h"

namespace dbsa {
namespace {

std::string utc_now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string block_file_name(int32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "block-%06d.kv", index);
  return buf;
}

// Under the lock every `.tmp-<digest>-<pid>` folder is a dead build's: a live one would hold the lock.
void remove_stale_temps(const std::filesystem::path& root, const std::string& digest) {
  const std::string prefix = ".tmp-" + digest + "-";
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path().filename().string().rfind(prefix, 0) != 0) continue;
    std::error_code ec;
    std::filesystem::remove_all(entry.path(), ec);
    if (ec) throw CacheError("cannot remove stale folder '" + entry.path().string() + "': " + ec.message());
  }
}

// Under the lock, block files the catalog does not list (and the temporaries of atomic writes) are what
// a killed append left behind; nothing else in the folder is touched.
void remove_orphan_blocks(const std::filesystem::path& dir, int32_t n_blocks) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool temp = name.rfind(".block-", 0) == 0 && name.find(".kv.tmp.") != std::string::npos;
    int32_t index = -1;
    if (!temp && std::sscanf(name.c_str(), "block-%d.kv", &index) != 1) continue;
    if (!temp && (name != block_file_name(index) || index < n_blocks)) continue;
    std::error_code ec;
    std::filesystem::remove(entry.path(), ec);
    if (ec) throw CacheError("cannot remove leftover file '" + entry.path().string() + "': " + ec.message());
  }
}

}  // namespace

std::filesystem::path temp_cache_dir(const std::filesystem::path& root, const CacheKey& key, long pid) {
  return root / (".tmp-" + key.digest() + "-" + std::to_string(pid));
}

struct CacheWriter::State {
  std::optional<FileLock> lock;  // first member: released after everything else, abandon() included
  bool appending = false;
  bool committed = false;
  std::filesystem::path final_dir;
  std::filesystem::path work_dir;
  CacheKey key;
  KvShape shape;
  int32_t first_block = 0;
  std::vector<BlockRecord> rows;                // one per added block, in index order
  std::map<int32_t, BlockEncoder> open_blocks;  // blocks still missing layers
  std::vector<std::filesystem::path> written;   // block files written (append: removed on abandon)

  BlockRecord& row(int32_t block) {
    if (block < first_block || block >= first_block + static_cast<int32_t>(rows.size())) {
      throw CacheError("cache '" + final_dir.string() + "': block " + std::to_string(block) +
                       " was not added by this writer (its blocks are [" + std::to_string(first_block) +
                       ", " + std::to_string(first_block + static_cast<int32_t>(rows.size())) + "))");
    }
    return rows[static_cast<std::size_t>(block - first_block)];
  }

  void abandon() noexcept {
    std::error_code ec;
    if (!appending) {
      std::filesystem::remove_all(work_dir, ec);
    } else {
      for (const auto& f : written) std::filesystem::remove(f, ec);
    }
  }
};

CacheWriter::CacheWriter(std::unique_ptr<State> state) : s_(std::move(state)) {}

CacheWriter::~CacheWriter() {
  if (s_ && !s_->committed) s_->abandon();
}

CacheWriter::CacheWriter(CacheWriter&&) noexcept = default;

CacheWriter& CacheWriter::operator=(CacheWriter&& other) noexcept {
  if (this != &other) {
    if (s_ && !s_->committed) s_->abandon();
    s_ = std::move(other.s_);
  }
  return *this;
}

CacheWriter CacheWriter::create(const std::filesystem::path& root, const CacheKey& key, const KvShape& shape,
                                const LockWait& wait) {
  if (shape.n_layer <= 0 || shape.n_head_kv <= 0 || shape.head_dim <= 0) {
    throw CacheError("cannot create a cache under '" + root.string() + "': invalid KV shape (n_layer " +
                     std::to_string(shape.n_layer) + ", n_head_kv " + std::to_string(shape.n_head_kv) +
                     ", head_dim " + std::to_string(shape.head_dim) + ")");
  }
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) throw CacheError("cannot create cache root '" + root.string() + "': " + ec.message());
  auto s = std::make_unique<State>();
  s->key = key;
  s->shape = shape;
  s->final_dir = root / key.digest();
  if (std::filesystem::exists(s->final_dir)) {
    throw CacheExists("cache '" + s->final_dir.string() +
                      "' already exists (delete it to rebuild, or append)");
  }
  s->lock = lock_cache(s->final_dir, "build", wait);
  if (std::filesystem::exists(s->final_dir)) {
    throw CacheExists("cache '" + s->final_dir.string() + "' was built by another process meanwhile");
  }
  remove_stale_temps(root, key.digest());
  s->work_dir = temp_cache_dir(root, key, static_cast<long>(::getpid()));
  if (!std::filesystem::create_directory(s->work_dir, ec) || ec) {
    throw CacheError("cannot create temporary folder '" + s->work_dir.string() +
                     "': " + (ec ? ec.message() : std::string("it already exists")));
  }
  return CacheWriter(std::move(s));
}

CacheWriter CacheWriter::append(const std::filesystem::path& dir, const CacheKey* expected_key,
                                const LockWait& wait) {
  if (!std::filesystem::is_directory(dir))
    throw CacheError("cache folder '" + dir.string() + "' does not exist");
  FileLock lock = lock_cache(dir, "append to", wait);
  const CacheCatalog catalog = CacheCatalog::open(dir / kCatalogFileName, false);
  const auto diffs =
      expected_key ? key_differences(*expected_key, catalog.meta().key) : std::vector<std::string>{};
  if (!diffs.empty()) {
    std::string msg =
        "cannot append to cache '" + dir.string() + "', it was built for another configuration: ";
    for (std::size_t i = 0; i < diffs.size(); ++i) msg += (i ? "; " : "") + diffs[i];
    throw CacheError(msg);
  }
  remove_orphan_blocks(dir, catalog.block_count());
  auto s = std::make_unique<State>();
  s->lock = std::move(lock);
  s->appending = true;
  s->key = catalog.meta().key;
  s->shape = catalog.meta().shape;
  s->final_dir = dir;
  s->work_dir = dir;
  s->first_block = catalog.block_count();
  return CacheWriter(std::move(s));
}

int32_t CacheWriter::add_block(BlockContent content) {
  if (s_->committed) throw CacheError("cache '" + s_->final_dir.string() + "': writer already committed");
  const int32_t index = s_->first_block + static_cast<int32_t>(s_->rows.size());
  if (content.token_ids.empty()) {
    throw CacheError("cache '" + s_->final_dir.string() + "': block " + std::to_string(index) +
                     " has no tokens");
  }
  BlockRecord r;
  r.index = index;
  r.demo_ids = std::move(content.demo_ids);
  r.token_ids = std::move(content.token_ids);
  r.text = std::move(content.text);
  r.labels = std::move(content.labels);
  r.file_name = block_file_name(index);
  s_->open_blocks.emplace(index, BlockEncoder(s_->shape, s_->key.dtype, static_cast<uint32_t>(index),
                                              static_cast<uint32_t>(r.token_ids.size())));
  s_->rows.push_back(std::move(r));
  return index;
}

void CacheWriter::put_layer(int32_t block, int32_t layer, const float* k, const float* v) {
  BlockRecord& r = s_->row(block);
  const auto it = s_->open_blocks.find(block);
  if (it == s_->open_blocks.end()) {
    throw CacheError("cache '" + s_->final_dir.string() + "': block " + std::to_string(block) +
                     " is already complete (layer " + std::to_string(layer) + " given again)");
  }
  BlockEncoder& enc = it->second;
  enc.put_layer(layer, k, v);
  if (enc.missing_layer() >= 0) return;
  const auto bytes = enc.bytes();
  const auto path = s_->work_dir / r.file_name;
  write_file_atomic(path, bytes);
  s_->written.push_back(path);
  r.byte_offset = 0;
  r.byte_length = bytes.size();
  r.checksum = XXH3_64bits(bytes.data(), bytes.size());
  s_->open_blocks.erase(it);
}

std::filesystem::path CacheWriter::commit() {
  State& s = *s_;
  if (s.committed) throw CacheError("cache '" + s.final_dir.string() + "': writer already committed");
  if (!s.open_blocks.empty()) {
    const auto& [index, enc] = *s.open_blocks.begin();
    throw CacheError("cache '" + s.final_dir.string() + "': cannot commit, block " + std::to_string(index) +
                     " is missing layer " + std::to_string(enc.missing_layer()));
  }
  // Block files were renamed into work_dir; this makes those entries durable before anything points at them.
  fsync_dir(s.work_dir);
  if (s.appending) {
    if (!s.rows.empty()) {
      CacheCatalog catalog = CacheCatalog::open(s.work_dir / kCatalogFileName, true);
      catalog.append_blocks(s.rows);
    }
    s.committed = true;
    return s.final_dir;
  }
  CacheMeta meta;
  meta.key = s.key;
  meta.shape = s.shape;
  meta.key_digest = s.key.digest();
  meta.created_at = utc_now_iso8601();
  const auto catalog_path = s.work_dir / kCatalogFileName;
  {
    CacheCatalog catalog = CacheCatalog::create(catalog_path, meta);
    catalog.append_blocks(s.rows);
  }  // closed: no journal left beside it, nothing open when the folder moves
  fsync_file(catalog_path);
  fsync_dir(s.work_dir);
  std::error_code ec;
  if (std::filesystem::exists(s.final_dir)) {
    throw CacheError("cache '" + s.final_dir.string() +
                     "' appeared while building (another process built it)");
  }
  std::filesystem::rename(s.work_dir, s.final_dir, ec);
  if (ec)
    throw CacheError("cannot move '" + s.work_dir.string() + "' to '" + s.final_dir.string() +
                     "': " + ec.message());
  s.committed = true;
  fsync_dir(s.final_dir.parent_path());
  return s.final_dir;
}

const KvShape& CacheWriter::shape() const {
  return s_->shape;
}
const CacheKey& CacheWriter::key() const {
  return s_->key;
}
int32_t CacheWriter::first_new_block() const {
  return s_->first_block;
}
int32_t CacheWriter::n_new_blocks() const {
  return static_cast<int32_t>(s_->rows.size());
}
const std::filesystem::path& CacheWriter::work_dir() const {
  return s_->work_dir;
}

}  // namespace dbsa
