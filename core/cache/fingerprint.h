#pragma once
// XXH3-128 fingerprints for the fields of a CacheKey: a model or vocabulary file's bytes, a pool's
// demonstrations, anything else that must change the key when it changes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace dbsa {

// Streaming fingerprint of a sequence of values. Each value is length-prefixed (and integers are
// tagged), so ("ab", "c") and ("a", "bc") differ.
class Fingerprint {
 public:
  Fingerprint();
  ~Fingerprint();
  Fingerprint(const Fingerprint&) = delete;
  Fingerprint& operator=(const Fingerprint&) = delete;

  Fingerprint& add(std::string_view bytes);
  Fingerprint& add_bytes(std::span<const std::byte> bytes);
  Fingerprint& add_int(int64_t value);
  std::string hex() const;  // 32 lowercase hex digits; adding more afterwards is allowed

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// XXH3-128 of a file's raw bytes (mapped, not copied); throws CacheError naming the file.
std::string fingerprint_file(const std::filesystem::path& file);

// 32 lowercase hex digits of a 128-bit hash given as (high, low) halves, most significant first.
std::string hash128_hex(uint64_t high, uint64_t low);

}  // namespace dbsa
