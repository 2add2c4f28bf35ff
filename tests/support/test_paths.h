#pragma once
// Where tests find the read-only shared fixtures and where they may write scratch files.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace dbsa::test {

inline std::filesystem::path shared_dir() {
  return std::filesystem::path(DBSA_SHARED_DIR);
}
inline std::filesystem::path fixture(const std::string& rel) {
  return shared_dir() / "fixtures" / rel;
}
inline std::filesystem::path data(const std::string& rel) {
  return shared_dir() / "data" / rel;
}

// A fresh, empty scratch folder per call site name (removed and recreated). The process id is part of
// the path because ctest runs every test case as its own process, in parallel: two cases sharing a
// name must not clobber each other's files.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto p = std::filesystem::path(DBSA_TEST_TMP_DIR) / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

// Writes `bytes` to `file` as they are (binary), replacing it.
inline void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

}  // namespace dbsa::test
