#pragma once
// What identifies a KV block cache: everything that changes the stored keys and values. Two builds
// with equal keys produce interchangeable caches; the key's digest names the cache's folder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/block_layout.h"

namespace dbsa {

enum class KvDtype : uint32_t { F16 = 0, Int8 = 1 };

std::string_view kv_dtype_name(KvDtype dtype);  // "f16", "int8"
KvDtype parse_kv_dtype(std::string_view name);  // throws CacheError naming the value
std::vector<std::string> kv_dtype_names();      // "f16", "int8"

struct CacheKey {
  std::string model_fingerprint;
  std::string tokenizer_fingerprint;
  // Must identify the pool's demonstrations in pool order, and the grouping seed when the grouping
  // is seeded: the store cannot tell two pools apart otherwise.
  std::string pool_fingerprint;
  int32_t block_demos = 0;  // demonstrations per block
  std::string grouping;     // "in-order", "balanced", "bm25-cluster", ... (with "+swap" etc. as used)
  BlockLayout pattern;      // S and P
  bool bos = false;         // BOS prepended to block 0
  KvDtype dtype = KvDtype::F16;

  // (field name, value as text) in a fixed order; the canonical form and error messages use it.
  std::vector<std::pair<std::string, std::string>> fields() const;
  // "name=value\n" for every field, after a format line: the exact bytes the digest hashes.
  std::string canonical() const;
  // 32 lowercase hex digits of XXH3-128 over canonical(): the cache folder's name.
  std::string digest() const;

  friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

// Fields whose values differ, as "name: cache has 'x', expected 'y'" (empty when equal).
std::vector<std::string> key_differences(const CacheKey& expected, const CacheKey& actual);

// True for a 32-digit lowercase hex string (a digest, i.e. a cache folder name).
bool is_key_digest(std::string_view name);

}  // namespace dbsa
