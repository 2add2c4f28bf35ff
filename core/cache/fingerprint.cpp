#include "cache/fingerprint.h"

#include <cstdio>

#include <xxhash.h>

#include "cache/cache_error.h"
#include "cache/mapped_file.h"

namespace dbsa {

struct Fingerprint::State {
  XXH3_state_t* st = nullptr;
};

Fingerprint::Fingerprint() : s_(std::make_unique<State>()) {
  s_->st = XXH3_createState();
  if (s_->st == nullptr || XXH3_128bits_reset(s_->st) != XXH_OK)
    throw CacheError("cannot create an XXH3 state");
}

Fingerprint::~Fingerprint() {
  XXH3_freeState(s_->st);
}

Fingerprint& Fingerprint::add_bytes(std::span<const std::byte> bytes) {
  const uint64_t n = bytes.size();
  const char tag = 'b';
  XXH3_128bits_update(s_->st, &tag, 1);
  XXH3_128bits_update(s_->st, &n, sizeof n);
  XXH3_128bits_update(s_->st, bytes.data(), bytes.size());
  return *this;
}

Fingerprint& Fingerprint::add(std::string_view bytes) {
  return add_bytes(std::as_bytes(std::span(bytes)));
}

Fingerprint& Fingerprint::add_int(int64_t value) {
  const char tag = 'i';
  XXH3_128bits_update(s_->st, &tag, 1);
  XXH3_128bits_update(s_->st, &value, sizeof value);
  return *this;
}

std::string Fingerprint::hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(s_->st);
  return hash128_hex(h.high64, h.low64);
}

std::string fingerprint_file(const std::filesystem::path& file) {
  const MappedFile f(file);
  const auto bytes = f.bytes();
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return hash128_hex(h.high64, h.low64);
}

std::string hash128_hex(uint64_t high, uint64_t low) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

}  // namespace dbsa
