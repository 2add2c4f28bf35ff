#pragma once
// The caches of a KV store as `dbsa cache list` and the studio's Cache page show them: each folder's
// summary with its manifest's model file and dataset, and how that model held its weights when the cache
// was computed (method/model_identity.h). Unreadable folders are listed with their error so that they can
// be found and deleted.
#include <filesystem>
#include <string>
#include <vector>

#include "cache/cache_store.h"

namespace dbsa {

struct CacheListing {
  CacheSummary summary;
  std::string model_path;  // from the manifest; empty when it cannot be read
  std::string weights;     // cache_weights_name of its model (empty: an F32 file, or the file is gone)
  std::string dataset;
};

// Every cache folder under `root`, by folder name (an absent root lists nothing). Reads each catalog,
// manifest and model file header: callers with a GUI run it off the GUI thread.
std::vector<CacheListing> list_caches(const std::filesystem::path& root);

// "S=1 P=2, 5/block, in-order, f16": the pre-encoding layout of a cache's key.
std::string cache_layout_text(const CacheKey& key);

// One line per cache (folder, model, weights, dataset, layout, blocks, tokens, bytes, created, error), or
// a JSON array of objects with those fields.
std::string cache_listing_text(const std::vector<CacheListing>& rows);
std::string cache_listing_json(const std::vector<CacheListing>& rows);

}  // namespace dbsa
