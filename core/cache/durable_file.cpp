#include "cache/durable_file.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "cache/cache_error.h"

namespace dbsa {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p, int err) {
  throw CacheError(what + " '" + p.string() + "': " + std::strerror(err));
}

void fsync_path(const std::filesystem::path& p, int flags, const char* what) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(std::string("cannot open ") + what, p, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync failed for", p, err);
  }
  ::close(fd);
}

}  // namespace

void write_file_durably(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  auto tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", tmp, errno);
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("write failed for", tmp, err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail("fsync failed for", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("cannot rename into place", path, err);
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  fsync_path(dir, O_RDONLY | O_DIRECTORY, "folder");
}

void fsync_file(const std::filesystem::path& file) {
  fsync_path(file, O_RDONLY, "file");
}

}  // namespace dbsa
