#include "eval/path_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dbsa {
namespace {

[[noreturn]] void fail(const std::filesystem::path& p, std::string_view what, const std::string& why) {
  throw std::runtime_error(p.string() + ": cannot write the " + std::string(what) + " there (" + why + ")");
}

// Creating (and removing) a file is the only reliable test: access(2) says yes to root on a read-only
// mount such as /sys.
void probe_folder(const std::filesystem::path& dir, const std::filesystem::path& named,
                  std::string_view what) {
  const auto probe = dir / (".dbsa-write-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(named, what, "folder " + dir.string() + ": " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

std::filesystem::path folder_of(const std::filesystem::path& file) {
  const auto parent = file.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace

void check_writable_file(const std::filesystem::path& file, std::string_view what) {
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  const auto dir = folder_of(file);
  if (std::filesystem::exists(st)) {
    if (std::filesystem::is_directory(st)) fail(file, what, "it is a folder");
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) fail(file, what, std::strerror(errno));
    ::close(fd);
  } else if (!std::filesystem::is_directory(dir, ec)) {
    fail(file, what, "folder " + dir.string() + " does not exist");
  }
  probe_folder(dir, file, what);
}

void check_creatable_dir(const std::filesystem::path& dir, std::string_view what) {
  std::error_code ec;
  auto existing = std::filesystem::absolute(dir, ec);
  if (ec) fail(dir, what, ec.message());
  while (!std::filesystem::exists(existing, ec)) {
    if (!existing.has_parent_path() || existing.parent_path() == existing)
      fail(dir, what, "no existing folder");
    existing = existing.parent_path();
  }
  if (!std::filesystem::is_directory(existing, ec)) fail(dir, what, existing.string() + " is not a folder");
  probe_folder(existing, dir, what);
}

}  // namespace dbsa
