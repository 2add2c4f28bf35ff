// `dbsa cache list|verify|delete`: the caches of a KV block store, as the studio's Cache page lists,
// verifies and deletes them.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cache/cache_store.h"
#include "cli/cli.h"
#include "cli/cli_options.h"
#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "method/cache_listing.h"

namespace dbsa::cli {
namespace {

struct CacheArgs {
  std::string store;
  std::vector<std::string> names;  // folder names as `cache list` prints them
  bool json = false, quiet = false;
  double lock_timeout = -1;
};

void require_store(const std::string& store, std::string_view cmd) {
  if (!std::filesystem::is_directory(store))
    throw std::runtime_error(std::string(cmd) + ": --store " + store + ": no such folder");
}

// The caches `names` choose (every cache when none), each checked against the store's listing before
// anything is done, so that a mistyped name changes nothing. Names are folder names, never paths: a
// name cannot reach outside the store.
std::vector<CacheSummary> chosen_caches(const CacheArgs& a, std::string_view cmd) {
  require_store(a.store, cmd);
  const std::vector<CacheSummary> all = CacheStore(a.store).list();
  if (a.names.empty()) return all;
  std::vector<CacheSummary> chosen;
  for (const std::string& name : a.names) {
    const auto it =
        std::find_if(all.begin(), all.end(), [&name](const CacheSummary& s) { return s.digest == name; });
    if (it == all.end())
      throw std::runtime_error(std::string(cmd) + ": no cache '" + name + "' in " + a.store + " (" +
                               std::to_string(all.size()) + " cache(s); `dbsa cache list --store " + a.store +
                               "` names them)");
    if (std::none_of(chosen.begin(), chosen.end(),
                     [&name](const CacheSummary& s) { return s.digest == name; }))
      chosen.push_back(*it);
  }
  return chosen;
}

void run_cache_list(const CacheArgs& a) {
  require_store(a.store, "cache list");
  const auto rows = list_caches(a.store);
  std::cout << (a.json ? cache_listing_json(rows) : cache_listing_text(rows));
}

// Every block and sealed index of each chosen cache (CacheStore::verify); exits non-zero when any
// cache has a problem, after reporting all of them.
void run_cache_verify(const CacheArgs& a) {
  const std::vector<CacheSummary> caches = chosen_caches(a, "cache verify");
  const InterruptGuard interrupt;
  const CacheStore store(a.store);
  nlohmann::json out = nlohmann::json::array();
  size_t damaged = 0;
  for (const CacheSummary& c : caches) {
    const VerifyReport r =
        store.verify(c.dir, interruptible_progress(a.quiet, "verify " + c.digest, interrupt));
    if (r.cancelled) {
      std::cerr << "\ndbsa: " << interrupt.signal_name() << ": cache verify cancelled at " << c.digest
                << "\n";
      throw CLI::RuntimeError(interrupt.exit_code());
    }
    damaged += r.ok() ? 0 : 1;
    if (a.json) {
      out.push_back({{"cache", c.digest},
                     {"blocks", r.n_blocks},
                     {"ok", r.ok()},
                     {"problems", r.problems},
                     {"notes", r.notes}});
      continue;
    }
    std::cout << r.summary() << "\n";
    for (const auto& p : r.problems) std::cout << "  " << p << "\n";
    for (const auto& n : r.notes) std::cout << "  note: " << n << "\n";
  }
  if (a.json) std::cout << out.dump() << "\n";
  std::cout.flush();
  if (damaged > 0)
    throw std::runtime_error("cache verify: " + std::to_string(damaged) + " of " +
                             std::to_string(caches.size()) + " cache(s) damaged");
}

// Deletes each named cache under its lock (CacheStore::remove_dir: hidden at once, then removed).
void run_cache_delete(const CacheArgs& a) {
  const std::vector<CacheSummary> caches = chosen_caches(a, "cache delete");
  const CacheStore store(a.store, announced_lock_wait(a.lock_timeout, "cache delete"));
  for (const CacheSummary& c : caches) {
    store.remove_dir(c.dir);
    if (!a.quiet)
      std::cout << "deleted " << c.digest << " (" << c.n_blocks << " blocks, " << c.bytes << " bytes)\n";
  }
}

}  // namespace

void register_cache_commands(CLI::App& app) {
  auto* cache = app.add_subcommand("cache", "KV block stores: list, verify and delete their caches");
  cache->require_subcommand(1);

  auto l = std::make_shared<CacheArgs>();
  auto* list = cache->add_subcommand(
      "list",
      "Every cache of a KV block store (the --cache-dir of encode/eval): folder, model file and how its "
      "weights were held (native, f16, f32; none for an F32 file, which computes the same under each), dataset, layout, "
      "blocks, tokens, bytes, creation time; unreadable folders with their error");
  list->add_option("--store", l->store, "KV block store folder")->required();
  list->add_flag("--json", l->json, "JSON output");
  list->callback([l] { run_cache_list(*l); });

  auto v = std::make_shared<CacheArgs>();
  auto* verify = cache->add_subcommand(
      "verify",
      "Check every block and sealed index of caches against their checksums; lists each problem and exits "
      "non-zero when a cache has one");
  verify->add_option("--store", v->store, "KV block store folder")->required();
  verify->add_option("caches", v->names,
                     "Cache folder names as `cache list` prints them (default: every cache)");
  verify->add_flag("--json", v->json, "JSON output: per cache its name, blocks, ok, problems, notes");
  verify->add_flag("--quiet,-q", v->quiet, "No progress bar");
  verify->callback([v] { run_cache_verify(*v); });

  auto d = std::make_shared<CacheArgs>();
  auto* del = cache->add_subcommand(
      "delete",
      "Delete caches of a KV block store (each waits for a process writing it, per --lock-timeout)");
  del->add_option("--store", d->store, "KV block store folder")->required();
  del->add_option("caches", d->names, "Cache folder names as `cache list` prints them")->required();
  del->add_flag("--quiet,-q", d->quiet, "Print nothing");
  add_lock_timeout_option(del, d->lock_timeout);
  del->callback([d] { run_cache_delete(*d); });
}

}  // namespace dbsa::cli
