// `dbsa cache list`: the caches of a KV block store, as the studio's Cache page lists them.
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "method/cache_listing.h"

namespace dbsa::cli {
namespace {

struct CacheListArgs {
  std::string store;
  bool json = false;
};

void run_cache_list(const CacheListArgs& a) {
  if (!std::filesystem::is_directory(a.store))
    throw std::runtime_error("cache list: --store " + a.store + ": no such folder");
  const auto rows = list_caches(a.store);
  std::cout << (a.json ? cache_listing_json(rows) : cache_listing_text(rows));
}

}  // namespace

void register_cache_commands(CLI::App& app) {
  auto* cache = app.add_subcommand("cache", "KV block stores: list their caches");
  cache->require_subcommand(1);
  auto a = std::make_shared<CacheListArgs>();
  auto* list = cache->add_subcommand(
      "list",
      "Every cache of a KV block store (the --cache-dir of encode/eval): folder, model file and how its "
      "weights were held (native, f16, f32; none for a file without quantized tensors), dataset, layout, "
      "blocks, tokens, bytes, creation time; unreadable folders with their error");
  list->add_option("--store", a->store, "KV block store folder")->required();
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a] { run_cache_list(*a); });
}

}  // namespace dbsa::cli
