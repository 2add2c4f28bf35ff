#pragma once
// Shared helpers of the text tests: fixture files read byte-exact, tokenizers loaded once per process.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "model/gguf_file.h"
#include "support/test_paths.h"
#include "text/tokenizer.h"

namespace dbsa::test {

inline std::string read_file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Loading the Llama-3 vocabulary (128k tokens, 280k merges) costs a noticeable fraction of a second,
// so every test of the process shares one tokenizer per fixture file.
inline const Tokenizer& fixture_tokenizer(const std::string& rel) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(rel);
  if (it == cache.end()) {
    const auto file = GgufFile::open(fixture(rel).string());
    it = cache.emplace(rel, Tokenizer::from_gguf(*file)).first;
  }
  return *it->second;
}

}  // namespace dbsa::test
