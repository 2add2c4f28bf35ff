#pragma once
// Byte-level helpers for building and damaging GGUF images in tests.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/gguf_file.h"

namespace dbsa::test {

inline std::vector<std::byte> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

template <typename T>
void poke(std::vector<std::byte>& b, size_t at, T v) {
  ASSERT_LE(at + sizeof(T), b.size());
  std::memcpy(b.data() + at, &v, sizeof(T));
}

template <typename T>
T peek(const std::vector<std::byte>& b, size_t at) {
  T v{};
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

// Offset of the first occurrence of s in the image (npos when absent).
inline size_t find_in(const std::vector<std::byte>& b, const std::string& s, size_t from = 0) {
  const auto* p = reinterpret_cast<const char*>(b.data());
  std::string_view hay(p, b.size());
  return hay.find(s, from);
}

// Parses the image and returns the GgufError message ("" when it parsed, which fails the test).
inline std::string parse_error(const std::vector<std::byte>& b, size_t n = static_cast<size_t>(-1)) {
  if (n > b.size()) n = b.size();
  try {
    GgufFile::from_bytes(std::span<const std::byte>(b.data(), n), "img.gguf");
  } catch (const GgufError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a GgufError for an image of " << n << " bytes";
  return {};
}

}  // namespace dbsa::test
