#include "method/cache_listing.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "cache/cache_manifest.h"
#include "method/model_identity.h"
#include "model/gguf_file.h"
#include "model/model_summary.h"

namespace dbsa {

std::vector<CacheListing> list_caches(const std::filesystem::path& root) {
  std::vector<CacheListing> rows;
  if (root.empty()) return rows;
  for (auto& s : CacheStore(root).list()) {
    CacheListing r;
    r.summary = std::move(s);
    if (r.summary.error.empty()) {
      try {
        const CacheManifest m = read_manifest(r.summary.dir);
        r.model_path = m.model_path;
        r.dataset = m.dataset;
        // Two caches of one file computed with its weights held differently are different caches: the
        // listing tells them apart. The file's header says whether the holding matters at all.
        try {
          if (std::filesystem::exists(m.model_path))
            r.weights = cache_weights_name(r.summary.meta.key.model_fingerprint,
                                           weights_holding_matters(*GgufFile::open(m.model_path)));
        } catch (const std::exception&) {
          // An unreadable model file leaves the weights empty; the cache itself is listed as it is.
        }
      } catch (const std::exception& e) {
        r.summary.error = e.what();
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string cache_layout_text(const CacheKey& key) {
  return key.pattern.text() + ", " + std::to_string(key.block_demos) + "/block, " + key.grouping + ", " +
         std::string(kv_dtype_name(key.dtype));
}

std::string cache_listing_text(const std::vector<CacheListing>& rows) {
  std::ostringstream o;
  if (rows.empty()) return "no caches\n";
  for (const CacheListing& r : rows) {
    const CacheSummary& s = r.summary;
    o << s.digest << "  "
      << (r.model_path.empty() ? std::string("?") : std::filesystem::path(r.model_path).filename().string());
    if (!r.weights.empty()) o << " (" << r.weights << ")";
    if (s.error.empty())
      o << "  " << r.dataset << "  " << cache_layout_text(s.meta.key) << "  " << s.n_blocks << " blocks, "
        << s.n_tokens << " tokens, " << s.bytes << " bytes, " << s.meta.created_at;
    else
      o << "  " << s.bytes << " bytes  unreadable: " << s.error;
    o << "\n";
  }
  return o.str();
}

std::string cache_listing_json(const std::vector<CacheListing>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const CacheListing& r : rows) {
    const CacheSummary& s = r.summary;
    nlohmann::json j = {{"folder", s.dir.string()}, {"model", r.model_path}, {"weights", r.weights},
                        {"dataset", r.dataset},     {"bytes", s.bytes},      {"error", s.error}};
    if (s.error.empty()) {
      j["layout"] = cache_layout_text(s.meta.key);
      j["blocks"] = s.n_blocks;
      j["tokens"] = s.n_tokens;
      j["created"] = s.meta.created_at;
    }
    a.push_back(std::move(j));
  }
  return a.dump() + "\n";
}

}  // namespace dbsa
