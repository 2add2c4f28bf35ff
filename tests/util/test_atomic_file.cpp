#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "support/test_paths.h"
#include "util/atomic_file.h"
#include "util/file_read.h"

namespace dbsa {
namespace {

namespace fs = std::filesystem;

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, WritesAndReplacesWholeFiles) {
  const fs::path dir = test::scratch_dir("atomic_write");
  const fs::path f = dir / "out.txt";
  write_file_atomic(f, std::string_view("first"));
  EXPECT_EQ(read_file(f), "first");
  write_file_atomic(f, std::string_view("second, longer"));
  EXPECT_EQ(read_file(f), "second, longer");
  EXPECT_EQ(entries(dir), 1u);  // no temporaries left behind
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_IRUSR, 0u);
}

TEST(AtomicFile, AbandonedWriterLeavesTheOldFile) {
  const fs::path dir = test::scratch_dir("atomic_abandon");
  const fs::path f = dir / "keep.bin";
  write_file_atomic(f, std::string_view("old"));
  {
    AtomicFileWriter w(f);
    w.write(std::string_view("half of the new"));
    EXPECT_TRUE(fs::exists(w.temp_path()));
  }  // destroyed without commit: what a crash or an exception amounts to
  EXPECT_EQ(read_file(f), "old");
  EXPECT_EQ(entries(dir), 1u);
}

TEST(AtomicFile, StreamedWritesConcatenate) {
  const fs::path f = test::scratch_dir("atomic_stream") / "s.txt";
  AtomicFileWriter w(f);
  w.write(std::string_view("a"));
  w.write(std::string_view("bc"));
  EXPECT_FALSE(fs::exists(f));  // invisible until commit
  w.commit();
  EXPECT_EQ(read_file(f), "abc");
  EXPECT_THROW(w.commit(), FileError);
}

TEST(AtomicFile, ErrorsNameThePath) {
  const fs::path missing = test::scratch_dir("atomic_err") / "no-such-dir" / "x.txt";
  try {
    write_file_atomic(missing, std::string_view("x"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
  try {
    (void)read_file(missing, "prompt file");
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open prompt file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbsa
