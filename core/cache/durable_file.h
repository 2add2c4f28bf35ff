#pragma once
// Crash-safe file system steps: a file is either absent or complete, never half written.
#include <cstddef>
#include <filesystem>
#include <span>

namespace dbsa {

// Writes bytes to `<path>.tmp-<pid>`, fsyncs it, renames it to path. The folder entry becomes durable
// with fsync_dir(path.parent_path()). Throws CacheError naming the path.
void write_file_durably(const std::filesystem::path& path, std::span<const std::byte> bytes);

// fsync of a folder, which makes the renames and creations inside it durable.
void fsync_dir(const std::filesystem::path& dir);

// fsync of an existing file (e.g. the SQLite catalog before its folder is renamed into place).
void fsync_file(const std::filesystem::path& file);

}  // namespace dbsa
