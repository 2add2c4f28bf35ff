// FileLock: one holder at a time across processes, a bounded wait that names the holder, no wait on
// oneself, and release by the kernel when the holder dies.
#include "util/file_lock.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "support/test_paths.h"

namespace dbsa {
namespace {

// A child that takes the lock, reports through the pipe, then holds it until killed.
pid_t child_holding(const std::filesystem::path& file) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    try {
      FileLock lock = FileLock::acquire(file);
      const char c = 'x';
      if (::write(fds[1], &c, 1) != 1) ::_exit(3);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(fds[1]);
  char c = 0;
  const bool ok = ::read(fds[0], &c, 1) == 1;
  ::close(fds[0]);
  return ok ? pid : -1;
}

void kill_and_reap(pid_t pid) {
  if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
}

// Kills the child when a test ends early, so that no orphan keeps ctest's pipe open.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0) kill_and_reap(pid);
  }
};

TEST(FileLock, SecondHolderInTheSameProcessIsRefusedAtOnce) {
  const auto file = test::scratch_dir("lock_self") / ".lock";
  FileLock first = FileLock::acquire(file);
  try {
    (void)FileLock::acquire(file);  // the default waits forever: it must not wait on itself
    FAIL() << "a second acquire succeeded";
  } catch (const LockBusy& e) {
    EXPECT_EQ(e.holder_pid(), static_cast<long>(::getpid()));
    EXPECT_NE(std::string(e.what()).find("locked by this process"), std::string::npos) << e.what();
  }
  FileLock moved = std::move(first);
  EXPECT_THROW((void)FileLock::acquire(file), LockBusy);  // still held, by the moved-to object
  { const FileLock gone = std::move(moved); }
  EXPECT_NO_THROW((void)FileLock::acquire(file));  // released by the destructor
}

TEST(FileLock, WaitEndsWithTheHolderNamedAndTheLockIsFreedWhenTheHolderDies) {
  const auto file = test::scratch_dir("lock_child") / ".lock";
  const pid_t pid = child_holding(file);
  ChildGuard guard{pid};
  ASSERT_GT(pid, 0);
  EXPECT_EQ(FileLock::holder_pid(file), static_cast<long>(pid));
  int reports = 0;
  LockWait w;
  w.timeout_s = 0.3;
  w.report_every_s = 0.1;
  w.on_wait = [&](long holder, double) {
    EXPECT_EQ(holder, static_cast<long>(pid));
    ++reports;
    return true;
  };
  try {
    (void)FileLock::acquire(file, w);
    FAIL() << "acquired a lock another process holds";
  } catch (const LockBusy& e) {
    EXPECT_EQ(e.holder_pid(), static_cast<long>(pid));
    EXPECT_GE(e.waited_s(), 0.3);
    EXPECT_NE(std::string(e.what()).find("process " + std::to_string(pid)), std::string::npos) << e.what();
  }
  EXPECT_GE(reports, 2);
  LockWait no_wait;
  no_wait.timeout_s = 0;
  EXPECT_THROW((void)FileLock::acquire(file, no_wait), LockBusy);
  LockWait give_up;
  give_up.on_wait = [](long, double) { return false; };  // e.g. the user cancelled
  EXPECT_THROW((void)FileLock::acquire(file, give_up), LockBusy);
  kill_and_reap(pid);  // kill -9: no destructor ran, the kernel drops the flock
  const FileLock mine = FileLock::acquire(file, no_wait);
  EXPECT_EQ(FileLock::holder_pid(file), static_cast<long>(::getpid()));
}

TEST(FileLock, AWaiterGetsTheLockOnceTheHolderLetsGo) {
  const auto file = test::scratch_dir("lock_wait") / ".lock";
  const pid_t pid = child_holding(file);
  ChildGuard guard{pid};
  ASSERT_GT(pid, 0);
  LockWait w;
  w.on_wait = [pid](long, double waited) {
    if (waited > 0.2) kill_and_reap(pid);  // the holder finishes while we wait
    return true;
  };
  w.report_every_s = 0.05;
  EXPECT_NO_THROW((void)FileLock::acquire(file, w));
}

TEST(FileLock, AnUnopenableLockFileIsAFileErrorNamingIt) {
  const auto file = test::scratch_dir("lock_missing") / "no-such-folder" / ".lock";
  try {
    (void)FileLock::acquire(file);
    FAIL();
  } catch (const LockBusy&) {
    FAIL() << "not a busy lock";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
