#include "util/file_lock.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dbsa {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

// The lock files this process holds, by the thread that took each: flock conflicts between two
// descriptors of one process too, so a second acquire from the same thread would wait for itself
// (another thread of the process just waits its turn).
std::mutex held_mutex;
std::map<std::string, std::thread::id> held;

std::string held_name(const std::filesystem::path& file) {
  std::error_code ec;
  const auto abs = std::filesystem::weakly_canonical(file, ec);
  return (ec ? file : abs).string();
}

}  // namespace

std::string lock_holder_text(long holder_pid) {
  return holder_pid > 0 ? "process " + std::to_string(holder_pid) : std::string("another process");
}

long FileLock::holder_pid(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n <= 0) return 0;
  try {
    return std::stol(std::string(buf, static_cast<std::size_t>(n)));
  } catch (const std::exception&) {
    return 0;  // a holder between truncate and write, or a foreign file
  }
}

FileLock FileLock::acquire(const std::filesystem::path& file, const LockWait& wait) {
  const long self = static_cast<long>(::getpid());
  const std::string key = held_name(file);
  {
    const std::lock_guard<std::mutex> g(held_mutex);
    const auto it = held.find(key);
    if (it != held.end() && it->second == std::this_thread::get_id())
      throw LockBusy(
          "'" + file.string() + "' is locked by this process (process " + std::to_string(self) + ")", self,
          0);
  }
  const auto open_file = [&file] {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      throw FileError("cannot open lock file '" + file.string() + "': " + errno_text(err));
    }
    return fd;
  };
  // The holder removes the file when it lets go, so a waiter may hold the flock of an unlinked file:
  // the lock counts only while the path still names the locked file.
  const auto still_named = [&file](int fd) {
    struct stat held {
    }, named{};
    return ::fstat(fd, &held) == 0 && ::stat(file.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
           held.st_ino == named.st_ino;
  };
  FileLock lock(file, open_file());
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto next_report = start;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) == 0) {
      if (still_named(lock.fd_)) break;
      ::close(lock.fd_);
      lock.fd_ = open_file();
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) throw FileError("cannot lock '" + file.string() + "': " + errno_text(err));
    const auto now = clock::now();
    const double waited = std::chrono::duration<double>(now - start).count();
    const long holder = holder_pid(file);
    if (wait.timeout_s >= 0 && waited >= wait.timeout_s) {
      throw LockBusy("'" + file.string() + "' is locked by " + lock_holder_text(holder), holder, waited);
    }
    if (wait.on_wait && now >= next_report) {
      if (!wait.on_wait(holder, waited))
        throw LockBusy("'" + file.string() + "': gave up waiting for the lock", holder, waited);
      next_report = now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(
                              wait.report_every_s > 0 ? wait.report_every_s : 10));
    }
    auto sleep = pause;
    if (wait.timeout_s >= 0) {
      const auto left = std::chrono::duration<double>(wait.timeout_s - waited);
      sleep = std::min(
          sleep, std::chrono::duration_cast<std::chrono::milliseconds>(left) + std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(sleep);
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
  {
    const std::lock_guard<std::mutex> g(held_mutex);
    if (!held.emplace(key, std::this_thread::get_id()).second) {
      // Registered by another holder while we hold the flock: impossible (a holder unregisters before
      // it closes its descriptor), so this is a bug, not a race to wait out.
      throw FileError("'" + file.string() + "' is locked twice by process " + std::to_string(self));
    }
  }
  lock.held_key_ = key;
  const std::string pid = std::to_string(self) + "\n";
  // Best effort: the pid only serves waiters' messages; the lock itself is the flock.
  if (::ftruncate(lock.fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(lock.fd_, pid.data(), pid.size(), 0);
  }
  return lock;
}

FileLock::FileLock(FileLock&& other) noexcept
    : file_(std::move(other.file_)),
      fd_(std::exchange(other.fd_, -1)),
      held_key_(std::exchange(other.held_key_, std::string())) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    file_ = std::move(other.file_);
    fd_ = std::exchange(other.fd_, -1);
    held_key_ = std::exchange(other.held_key_, std::string());
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() noexcept {
  if (!held_key_.empty()) {
    // Unlinked while still held, so no one can take a lock on it in between; a waiter that opened it
    // before notices (acquire's still_named) and locks a fresh file instead. Only a holder may unlink:
    // a waiter giving up must leave the holder's file alone.
    ::unlink(file_.c_str());
    const std::lock_guard<std::mutex> g(held_mutex);
    held.erase(held_key_);
    held_key_.clear();
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace dbsa
