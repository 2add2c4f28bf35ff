// Writers of one cache in several processes: concurrent appends both land, a killed append's
// files are cleaned by the next writer, a build waits for the one in progress and then finds its cache,
// and a writer that may not wait is refused before it touches anything.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache_error.h"
#include "cache/cache_lock.h"
#include "cache/cache_store.h"
#include "kv_test_data.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

using test::build_sample_cache;

// Adds n blocks, one every few milliseconds so that a second writer surely overlaps this one.
void append_slowly(const CacheStore& store, const CacheKey& key, int32_t n) {
  CacheWriter w = store.append(key);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = w.add_block(test::sample_content(w.first_new_block() + i));
    ::usleep(40000);
    test::put_sample_block(w, b);
  }
  w.commit();
}

int exit_code(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

template <class F>
pid_t fork_child(F&& f) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  try {
    f();
    ::_exit(0);
  } catch (...) {
    ::_exit(2);
  }
}

// Forks a child running body(ready) and returns once the child called ready() (-1 when it failed
// before): the parent acts while the child holds what it took.
template <class F>
pid_t fork_ready(F&& body) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = fork_child([&] {
    ::close(fds[0]);
    body([fd = fds[1]] {
      const char c = 'x';
      if (::write(fd, &c, 1) != 1) ::_exit(3);
    });
  });
  ::close(fds[1]);
  char c = 0;
  const bool ok = ::read(fds[0], &c, 1) == 1;
  ::close(fds[0]);
  if (!ok) ::waitpid(pid, nullptr, 0);
  return ok ? pid : -1;
}

[[noreturn]] void wait_to_be_killed() {
  for (;;) ::pause();
}

// Kills a child still running when a test ends early, so that no orphan keeps ctest's pipe open.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
  }
};

bool has_name(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

TEST(CacheConcurrency, TwoConcurrentAppendsBothLandAndEveryBlockAnswers) {
  const CacheStore store(test::scratch_dir("conc_append"));
  const CacheKey key = test::sample_key();
  build_sample_cache(store, key, 2);
  const pid_t a = fork_child([&] { append_slowly(store, key, 3); });
  const pid_t b = fork_child([&] { append_slowly(store, key, 3); });
  ChildGuard ga{a}, gb{b};
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_EQ(exit_code(a), 0);
  EXPECT_EQ(exit_code(b), 0);
  const BlockCache c = store.open(key);  // VerifyMode::All: every block's checksum
  ASSERT_EQ(c.n_blocks(), 8);
  for (int32_t i = 0; i < c.n_blocks(); ++i) {
    EXPECT_EQ(c.block(i).token_ids, test::sample_content(i).token_ids) << i;
    std::vector<float> k(static_cast<size_t>(c.block(i).n_tokens()) * c.shape().row()), v(k.size());
    const int32_t one[] = {i};
    c.assemble(one, 1, k.data(), v.data());
  }
  const VerifyReport r = store.verify(store.path_for(key));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
}

TEST(CacheConcurrency, KilledAppendLeavesOrphansThatTheNextWriterRemoves) {
  const CacheStore store(test::scratch_dir("conc_orphans"));
  const CacheKey key = test::sample_key();
  build_sample_cache(store, key, 2);
  const pid_t pid = fork_ready([&](const auto& ready) {
    CacheWriter w = store.append(key);
    for (int32_t i = 0; i < 3; ++i) w.add_block(test::sample_content(2 + i));
    test::put_sample_block(w, 2);
    test::put_sample_block(w, 3);
    ready();
    wait_to_be_killed();
  });
  ChildGuard guard{pid};
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(exit_code(pid), 128 + SIGKILL);
  const auto dir = store.path_for(key);
  ASSERT_TRUE(std::filesystem::exists(dir / "block-000002.kv"));
  EXPECT_TRUE(has_name(store.verify(dir).notes, "block-000003.kv"));
  EXPECT_EQ(store.open(key).n_blocks(), 2);  // readers never saw the killed append

  {
    CacheWriter w = store.append(key);  // the dead writer's files go before anything is added
    EXPECT_FALSE(std::filesystem::exists(dir / "block-000002.kv"));
    EXPECT_FALSE(std::filesystem::exists(dir / "block-000003.kv"));
    EXPECT_EQ(w.add_block(test::sample_content(2)), 2);
    test::put_sample_block(w, 2);
    w.commit();
  }
  const VerifyReport r = store.verify(dir);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
  EXPECT_EQ(store.open(key).n_blocks(), 3);
}

TEST(CacheConcurrency, ABuildWaitsForTheOneInProgressAndThenFindsItsCache) {
  const auto root = test::scratch_dir("conc_create");
  const CacheKey key = test::sample_key();
  const pid_t pid = fork_ready([&](const auto& ready) {
    const CacheStore store(root);
    CacheWriter w = store.create(key, test::sample_shape());
    ready();
    ::usleep(300000);
    for (int32_t b = 0; b < 3; ++b) {
      w.add_block(test::sample_content(b));
      test::put_sample_block(w, b);
    }
    w.commit();
  });
  ChildGuard guard{pid};
  ASSERT_GT(pid, 0);
  int reports = 0;
  LockWait wait;
  wait.on_wait = [&](long holder, double) {
    EXPECT_EQ(holder, static_cast<long>(pid));
    ++reports;
    return true;
  };
  const CacheStore store(root, wait);
  EXPECT_THROW((void)store.create(key, test::sample_shape()), CacheExists);
  EXPECT_GE(reports, 1);
  EXPECT_EQ(exit_code(pid), 0);
  EXPECT_EQ(store.open(key).n_blocks(), 3);
}

TEST(CacheConcurrency, AWriterThatMayNotWaitIsRefusedBeforeTouchingAnything) {
  const auto root = test::scratch_dir("conc_refuse");
  const CacheKey key = test::sample_key();
  build_sample_cache(CacheStore(root), key, 2);
  const pid_t pid = fork_ready([&](const auto& ready) {
    CacheWriter w = CacheStore(root).append(key);
    w.add_block(test::sample_content(2));
    test::put_sample_block(w, 2);  // a block file of the live writer, not yet in the catalog
    ready();
    wait_to_be_killed();
  });
  ChildGuard guard{pid};
  ASSERT_GT(pid, 0);
  LockWait no_wait;
  no_wait.timeout_s = 0;
  const CacheStore store(root, no_wait);
  try {
    (void)store.append(key);
    ADD_FAILURE() << "a second append started while the first writes";
  } catch (const CacheError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot append to cache '" + store.path_for(key).string() + "'"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("process " + std::to_string(pid) + " is writing it"), std::string::npos) << msg;
  }
  EXPECT_THROW(store.remove(key), CacheError);
  // The live writer's file is untouched: only a writer holding the lock cleans up.
  EXPECT_TRUE(std::filesystem::exists(store.path_for(key) / "block-000002.kv"));
  EXPECT_EQ(store.open(key).n_blocks(), 2);
  ::kill(pid, SIGKILL);
  (void)exit_code(pid);
  store.remove(key);
  EXPECT_FALSE(store.contains(key));
}

}  // namespace
}  // namespace dbsa
