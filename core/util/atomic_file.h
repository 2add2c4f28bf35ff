#pragma once
// Crash-safe writes: a file is either absent, its old version, or complete — never half written.
// Everything we write for users (models, caches, pools, indexes, reports, logits) goes through here.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

#include "util/file_error.h"

namespace dbsa {

// Streams a new file into a hidden temporary beside `path` (same file system, so the final rename is
// atomic). commit() fsyncs it, renames it over `path` and fsyncs the folder; destroying the writer
// without commit() removes the temporary. Throws FileError naming the path.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::span<const std::byte> bytes);
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }
  void commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return tmp_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Whole-buffer forms of the writer.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes);
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

// fsync of a folder (makes renames and creations inside it durable) and of an existing file.
void fsync_dir(const std::filesystem::path& dir);
void fsync_file(const std::filesystem::path& file);

}  // namespace dbsa
