// Crash safety: a build killed with SIGKILL leaves no visible cache, and the next build succeeds.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache_error.h"
#include "cache/cache_lock.h"
#include "cache/cache_store.h"
#include "kv_test_data.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

// The child builds and reports progress through a pipe, then blocks; the parent kills it with
// SIGKILL after `blocks_before_kill` blocks are on disk (or, with commit_stage, just before commit).
pid_t start_child_build(const std::filesystem::path& root, const CacheKey& key, int fd_write,
                        int blocks_before_kill) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: no gtest assertions here; any failure just exits non-zero.
  try {
    CacheWriter w = CacheWriter::create(root, key, test::sample_shape());
    for (int32_t b = 0; b < 6; ++b) w.add_block(test::sample_content(b));
    for (int32_t b = 0; b < blocks_before_kill; ++b) test::put_sample_block(w, b);
    const char done = 'x';
    if (::write(fd_write, &done, 1) != 1) ::_exit(3);
    for (;;) ::pause();  // wait to be killed
  } catch (...) {
    ::_exit(2);
  }
}

void kill_mid_build(const std::filesystem::path& root, const CacheKey& key, int blocks_before_kill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = start_child_build(root, key, fds[1], blocks_before_kill);
  ASSERT_GT(pid, 0);
  ::close(fds[1]);
  char c = 0;
  ASSERT_EQ(::read(fds[0], &c, 1), 1) << "the child failed before reaching the kill point";
  ::close(fds[0]);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(CacheAtomicity, KilledBuildLeavesNoVisibleCacheAndNextBuildSucceeds) {
  const auto root = test::scratch_dir("atomic_kill");
  const CacheStore store(root);
  const CacheKey key = test::sample_key();
  kill_mid_build(root, key, 3);

  EXPECT_FALSE(store.contains(key));
  EXPECT_FALSE(std::filesystem::exists(store.path_for(key)));
  EXPECT_TRUE(store.list().empty());
  EXPECT_THROW((void)store.open(key), CacheError);
  int stale = 0;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    stale += e.path().filename().string().rfind(".tmp-" + key.digest() + "-", 0) == 0;
  }
  EXPECT_EQ(stale, 1);  // the dead build's folder, hidden

  // Next build of the same key: cleans the stale folder and publishes a complete cache.
  CacheWriter w = store.create(key, test::sample_shape());
  for (int32_t b = 0; b < 6; ++b) {
    w.add_block(test::sample_content(b));
    test::put_sample_block(w, b);
  }
  w.commit();
  const BlockCache c = store.open(key);
  EXPECT_EQ(c.n_blocks(), 6);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    if (e.path().filename() == cache_lock_file(store.path_for(key)).filename())
      continue;  // stays, empty of data
    ++entries;
    EXPECT_EQ(e.path().filename().string(), key.digest());
  }
  EXPECT_EQ(entries, 1);
}

TEST(CacheAtomicity, KillBeforeAnyBlockAndAfterAllBlocksBothLeaveNothing) {
  const auto root = test::scratch_dir("atomic_kill_edges");
  const CacheStore store(root);
  const CacheKey key = test::sample_key(KvDtype::Int8);
  kill_mid_build(root, key, 0);
  EXPECT_TRUE(store.list().empty());
  kill_mid_build(root, key, 6);  // every block written, catalog not committed
  EXPECT_TRUE(store.list().empty());
  EXPECT_FALSE(store.contains(key));
}

TEST(CacheAtomicity, LiveBuildOfTheSameKeyIsNotDisturbed) {
  const auto root = test::scratch_dir("atomic_live");
  const CacheStore store(root);
  const CacheKey key = test::sample_key();
  CacheWriter first = store.create(key, test::sample_shape());
  // A second build in the same process (the first is alive) must not delete the first's folder.
  EXPECT_THROW((void)store.create(key, test::sample_shape()), CacheError);
  EXPECT_TRUE(std::filesystem::exists(first.work_dir()));
}

}  // namespace
}  // namespace dbsa
