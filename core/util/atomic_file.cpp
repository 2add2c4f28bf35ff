#include "util/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dbsa {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p, int err) {
  throw FileError(p.string() + ": " + what + ": " + std::strerror(err));
}

void fsync_path(const std::filesystem::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("cannot open for fsync", p, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync failed", p, err);
  }
  ::close(fd);
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  const std::filesystem::path dir =
      path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  // mkstemp gives a unique name even when several processes write the same target at once.
  // Built with append: GCC 12 -O3 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string name(".");
  name.append(path_.filename().string()).append(".tmp.XXXXXX");
  std::string tmpl = (dir / name).string();
  fd_ = ::mkstemp(tmpl.data());
  if (fd_ < 0) fail("cannot create a temporary file in " + dir.string(), path_, errno);
  tmp_ = tmpl;
  // mkstemp creates 0600; a finished file should have the usual permissions.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) {
    const int err = errno;
    ::close(fd_);
    ::unlink(tmp_.c_str());
    fail("cannot set permissions", tmp_, err);
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  if (fd_ < 0) throw FileError(path_.string() + ": write after commit");
  const std::byte* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed", path_, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) throw FileError(path_.string() + ": committed twice");
  if (::fsync(fd_) != 0) fail("fsync failed", path_, errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("close failed", path_, errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail("cannot rename the temporary file into place", path_, errno);
  committed_ = true;
  fsync_dir(path_.has_parent_path() ? path_.parent_path() : std::filesystem::path("."));
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  AtomicFileWriter w(path);
  w.write(bytes);
  w.commit();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
}

void fsync_dir(const std::filesystem::path& dir) {
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

void fsync_file(const std::filesystem::path& file) {
  fsync_path(file, O_RDONLY);
}

}  // namespace dbsa
