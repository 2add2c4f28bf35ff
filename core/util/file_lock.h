#pragma once
// An exclusive advisory lock (flock) on a lock file, held for the object's lifetime. The kernel drops
// it when the holder dies, even by kill -9, so a crash can never leave a stale lock behind (a pid file
// can). The holder writes its pid into the file so that a waiter can say whom it waits for, and removes
// the file when it lets go (a killed holder leaves the file, which only means "free").
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "util/file_error.h"

namespace dbsa {

struct LockWait {
  double timeout_s = -1;  // < 0: wait as long as the holder holds it; 0: do not wait at all
  double report_every_s = 10;
  // Called at once when the lock is busy and then every report_every_s while waiting; returning false
  // gives up (LockBusy), e.g. when the user cancels.
  std::function<bool(long holder_pid, double waited_s)> on_wait;
};

// "process N", or "another process" when the holder's pid is unknown (0): how messages name a holder.
std::string lock_holder_text(long holder_pid);

// The lock was still held when the wait ended; holder_pid is 0 when the holder's pid is unknown.
class LockBusy : public FileError {
 public:
  LockBusy(const std::string& what, long holder_pid, double waited_s)
      : FileError(what), holder_pid_(holder_pid), waited_s_(waited_s) {}
  long holder_pid() const { return holder_pid_; }
  double waited_s() const { return waited_s_; }

 private:
  long holder_pid_;
  double waited_s_;
};

class FileLock {
 public:
  // Creates `file` when missing. Throws LockBusy after the wait (at once when this thread holds the lock
  // already: waiting on oneself would never end), FileError when the file cannot be opened (e.g. a
  // read-only folder).
  static FileLock acquire(const std::filesystem::path& file, const LockWait& wait = {});
  // The pid the current holder wrote (0 when none is recorded or the file is missing).
  static long holder_pid(const std::filesystem::path& file);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  const std::filesystem::path& file() const { return file_; }

 private:
  FileLock(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}
  void release() noexcept;
  std::filesystem::path file_;
  int fd_ = -1;
  std::string held_key_;  // its name in this process's set of held locks (empty: not registered)
};

}  // namespace dbsa
