#include "cache/sealed_dir.h"

#include <map>
#include <string>
#include <system_error>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "cache/cache_error.h"
#include "cache/fingerprint.h"
#include "util/atomic_file.h"
#include "util/file_read.h"

namespace dbsa {
namespace {

struct FileSeal {
  uint64_t bytes = 0;
  std::string xxh3;
};

std::map<std::string, FileSeal> scan(const std::filesystem::path& dir) {
  std::map<std::string, FileSeal> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == kSealFileName) continue;
    if (!e.is_regular_file()) {
      throw CacheError("'" + e.path().string() + "' is not a regular file; a sealed index holds files only");
    }
    files[name] = FileSeal{static_cast<uint64_t>(e.file_size()), fingerprint_file(e.path())};
  }
  return files;
}

std::string files_checksum(const nlohmann::json& files) {
  Fingerprint f;
  f.add(files.dump());
  return f.hex();
}

}  // namespace

void seal_dir(const std::filesystem::path& dir) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, s] : scan(dir)) files[name] = {{"bytes", s.bytes}, {"xxh3", s.xxh3}};
  const nlohmann::json seal = {{"files", files}, {"checksum", files_checksum(files)}};
  write_file_atomic(dir / kSealFileName, seal.dump(1) + "\n");
}

namespace {

void verify_once(const std::filesystem::path& dir) {
  const auto seal_file = dir / kSealFileName;
  const std::string where = "index '" + dir.string() + "'";
  if (!std::filesystem::is_regular_file(seal_file)) {
    throw CacheError(where + " has no " + kSealFileName +
                     " (damaged, or not written by dbsa); delete the folder " + "to have it rebuilt");
  }
  nlohmann::json seal;
  try {
    seal = nlohmann::json::parse(read_file(seal_file, "index seal"));
    const nlohmann::json& files = seal.at("files");
    if (!files.is_object() || seal.at("checksum").get<std::string>() != files_checksum(files))
      throw std::runtime_error("checksum mismatch");
  } catch (const std::exception& e) {
    throw CacheError("'" + seal_file.string() + "' is damaged (" + e.what() + "); delete '" + dir.string() +
                     "' to have the index rebuilt");
  }
  const auto found = scan(dir);
  for (const auto& [name, v] : seal["files"].items()) {
    const auto it = found.find(name);
    const auto path = (dir / name).string();
    if (it == found.end()) throw CacheError(where + ": file '" + path + "' is missing");
    const uint64_t bytes = v.at("bytes").get<uint64_t>();
    if (it->second.bytes != bytes) {
      throw CacheError(where + ": file '" + path + "' has " + std::to_string(it->second.bytes) +
                       " bytes, its seal says " + std::to_string(bytes));
    }
    if (it->second.xxh3 != v.at("xxh3").get<std::string>()) {
      throw CacheError(where + ": file '" + path + "' is damaged: its XXH3 " + it->second.xxh3 +
                       " differs from the seal's " + v.at("xxh3").get<std::string>());
    }
  }
  for (const auto& [name, s] : found) {
    if (!seal["files"].contains(name))
      throw CacheError(where + ": file '" + (dir / name).string() + "' is not in its seal");
  }
}

// The folder's identity, to tell damage from a writer swapping in a new index while we read.
std::pair<dev_t, ino_t> identity(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

}  // namespace

void verify_sealed_dir(const std::filesystem::path& dir) {
  for (int attempt = 0;; ++attempt) {
    const auto before = identity(dir);
    try {
      verify_once(dir);
      return;
    } catch (const std::exception&) {
      // publish_sealed_dir renames a new folder in while a reader may be half-way through the old one:
      // only a failure on a folder that stayed the same is damage.
      if (attempt >= 3 || identity(dir) == before) throw;
    }
  }
}

void write_sealed_dir(const std::filesystem::path& dir,
                      const std::function<void(const std::filesystem::path& tmp)>& write) {
  const std::string pid = std::to_string(::getpid());
  const auto tmp = dir.parent_path() / (dir.filename().string() + ".tmp-" + pid);
  const auto old = dir.parent_path() / (dir.filename().string() + ".old-" + pid);
  std::error_code ec;
  try {
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directory(tmp);
    write(tmp);
    seal_dir(tmp);
    std::filesystem::remove_all(old, ec);
    if (std::filesystem::exists(dir)) std::filesystem::rename(dir, old);
    std::filesystem::rename(tmp, dir);
  } catch (...) {
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  fsync_dir(dir.parent_path());
  std::filesystem::remove_all(old, ec);
}

}  // namespace dbsa
