#pragma once
// A whole file mapped read-only (block files are read in place; the page cache is the only copy).
#include <cstddef>
#include <filesystem>
#include <span>

namespace dbsa {

class MappedFile {
 public:
  MappedFile() = default;
  // Throws CacheError naming the path and the system error.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void reset() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dbsa
