#include "cache/cache_manifest.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cache/fingerprint.h"
#include "util/atomic_file.h"

namespace dbsa {
namespace {

// A Fingerprint of the manifest's fields (the object without "checksum", in nlohmann's sorted-key
// form), so a flipped byte that still parses is refused too.
std::string manifest_checksum(nlohmann::json j) {
  j.erase("checksum");
  Fingerprint fp;
  fp.add(j.dump());
  return fp.hex();
}

}  // namespace

void write_manifest(const std::filesystem::path& dir, const CacheManifest& m) {
  nlohmann::json j;
  j["version"] = kManifestVersion;
  j["model_path"] = m.model_path;
  j["model_fingerprint"] = m.model_fingerprint;
  j["tokenizer_fingerprint"] = m.tokenizer_fingerprint;
  j["dataset"] = m.dataset;
  j["x_prefix"] = m.prompt.x_prefix;
  j["y_prefix"] = m.prompt.y_prefix;
  j["labels"] = m.labels;
  j["seed"] = m.seed;
  j["n_demos"] = m.n_demos;
  j["checksum"] = manifest_checksum(j);
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(dir / kManifestFileName, text);
}

CacheManifest read_manifest(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir))
    throw std::runtime_error("cache folder '" + dir.string() + "' does not exist");
  const auto file = dir / kManifestFileName;
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error(file.string() + ": cannot open (is this a cache folder made by `dbsa encode`?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(file.string() + ": at byte " + std::to_string(e.byte) + ": invalid JSON");
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double
    throw std::runtime_error(file.string() + ": invalid JSON: " + e.what());
  }
  const auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name))
      throw std::runtime_error(file.string() + ": missing field '" + name + "'");
    return j[name];
  };
  CacheManifest m;
  try {
    if (field("version").get<int32_t>() != kManifestVersion)
      throw std::runtime_error(file.string() + ": field 'version' is " + field("version").dump() +
                               ", expected " + std::to_string(kManifestVersion) + " (rebuild the cache)");
    if (field("checksum").get<std::string>() != manifest_checksum(j))
      throw std::runtime_error(
          file.string() +
          ": its checksum does not match its fields (the file was modified or is damaged); "
          "rebuild or delete the cache");
    m.model_path = field("model_path").get<std::string>();
    m.model_fingerprint = field("model_fingerprint").get<std::string>();
    m.tokenizer_fingerprint = field("tokenizer_fingerprint").get<std::string>();
    m.dataset = field("dataset").get<std::string>();
    m.prompt.x_prefix = field("x_prefix").get<std::string>();
    m.prompt.y_prefix = field("y_prefix").get<std::string>();
    m.labels = field("labels").get<std::vector<std::string>>();
    m.seed = field("seed").get<uint64_t>();
    m.n_demos = field("n_demos").get<int64_t>();
  } catch (const nlohmann::json::type_error& e) {
    throw std::runtime_error(file.string() + ": a field has the wrong type: " + e.what());
  }
  if (m.labels.empty()) throw std::runtime_error(file.string() + ": field 'labels' is empty");
  return m;
}

std::string tokenizer_fingerprint(const Tokenizer& tok) {
  Fingerprint fp;
  fp.add("dbsa-tokenizer-1").add(tok.model_name()).add(tok.pre_name()).add_int(tok.n_vocab());
  for (int32_t i = 0; i < tok.n_vocab(); ++i)
    fp.add(tok.token_text(i)).add_int(static_cast<int64_t>(tok.token_type(i)));
  fp.add_int(tok.bos()).add_int(tok.eos()).add_int(tok.adds_bos() ? 1 : 0).add_int(tok.adds_eos() ? 1 : 0);
  return fp.hex();
}

}  // namespace dbsa
