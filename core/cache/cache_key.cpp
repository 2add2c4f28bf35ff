#include "cache/cache_key.h"

#include <xxhash.h>

#include "cache/cache_error.h"
#include "cache/fingerprint.h"
#include "util/name_list.h"

namespace dbsa {

std::string_view kv_dtype_name(KvDtype dtype) {
  switch (dtype) {
    case KvDtype::F16:
      return "f16";
    case KvDtype::Int8:
      return "int8";
  }
  throw CacheError("unknown KV dtype code " + std::to_string(static_cast<uint32_t>(dtype)));
}

std::vector<std::string> kv_dtype_names() {
  return {"f16", "int8"};
}

KvDtype parse_kv_dtype(std::string_view name) {
  if (name == "f16") return KvDtype::F16;
  if (name == "int8") return KvDtype::Int8;
  throw CacheError("unknown KV dtype '" + std::string(name) + "' (expected one of " +
                   name_list(kv_dtype_names()) + ")");
}

std::vector<std::pair<std::string, std::string>> CacheKey::fields() const {
  return {
      {"model_fingerprint", model_fingerprint},
      {"tokenizer_fingerprint", tokenizer_fingerprint},
      {"pool_fingerprint", pool_fingerprint},
      {"block_demos", std::to_string(block_demos)},
      {"grouping", grouping},
      {"sink_blocks", block_count_text(pattern.sink)},
      {"prev_blocks", block_count_text(pattern.prev)},
      {"bos", bos ? "1" : "0"},
      {"dtype", std::string(kv_dtype_name(dtype))},
  };
}

std::string CacheKey::canonical() const {
  // The format line lets a future key layout change every digest instead of colliding with old ones.
  std::string out = "dbsa-kv-cache-key v1\n";
  for (const auto& [name, value] : fields()) {
    // Length-prefixed values: a newline inside a fingerprint cannot forge another field.
    out += name + "=" + std::to_string(value.size()) + ":" + value + "\n";
  }
  return out;
}

std::string CacheKey::digest() const {
  const std::string text = canonical();
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return hash128_hex(h.high64, h.low64);
}

std::vector<std::string> key_differences(const CacheKey& expected, const CacheKey& actual) {
  std::vector<std::string> out;
  const auto e = expected.fields();
  const auto a = actual.fields();
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e[i].second != a[i].second) {
      out.push_back(e[i].first + ": cache has '" + a[i].second + "', expected '" + e[i].second + "'");
    }
  }
  return out;
}

bool is_key_digest(std::string_view name) {
  if (name.size() != 32) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace dbsa
