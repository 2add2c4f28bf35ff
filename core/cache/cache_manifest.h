#pragma once
// What a query needs to know about a KV block cache besides its K/V: which model file it was built with
// (path, to load it; fingerprint, to refuse another one), the dataset, prompt template and label set.
// Written as `method.json` inside the cache folder before the cache is committed, so a published cache
// always has it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "text/prompt_template.h"
#include "text/tokenizer.h"

namespace dbsa {

inline constexpr const char* kManifestFileName = "method.json";
inline constexpr int32_t kManifestVersion = 2;  // 2: with a checksum of its fields

struct CacheManifest {
  std::string model_path;
  std::string model_fingerprint;
  std::string tokenizer_fingerprint;
  std::string dataset;  // dataset name, or "pool-file"
  PromptTemplate prompt;
  std::vector<std::string> labels;  // prompt wordings in label-id order
  uint64_t seed = 0;                // pool draw / grouping seed
  int64_t n_demos = 0;              // demonstrations in the cache (grows with appends)

  friend bool operator==(const CacheManifest&, const CacheManifest&) = default;
};

// Durable write (temp + fsync + rename) of dir/method.json.
void write_manifest(const std::filesystem::path& dir, const CacheManifest& m);
// Reads dir/method.json; throws std::runtime_error naming the file and the missing/invalid field.
CacheManifest read_manifest(const std::filesystem::path& dir);

// XXH3-128 over everything that decides how the tokenizer maps text to ids (kind, pre-tokenizer, every
// vocabulary entry and its type, special tokens).
std::string tokenizer_fingerprint(const Tokenizer& tok);

}  // namespace dbsa
