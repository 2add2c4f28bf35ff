// `dbsa merge`: combine shard result databases into one, without duplicates (runs are matched by uuid).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "store/merge.h"

namespace dbsa::cli {
namespace {

struct MergeArgs {
  std::string into;
  std::vector<std::string> sources;
};

void run_merge(const MergeArgs& a) {
  std::vector<std::filesystem::path> sources(a.sources.begin(), a.sources.end());
  int64_t copied = 0;
  for (const MergeStats& s : merge_into(std::filesystem::path(a.into), sources)) {
    std::cout << s.source.string() << ": " << s.copied << " runs copied, " << s.replaced << " replaced, "
              << s.skipped << " already present\n";
    copied += s.copied + s.replaced;
  }
  std::cout << a.into << ": " << copied << " runs added\n";
}

}  // namespace

void register_merge_command(CLI::App& app) {
  auto a = std::make_shared<MergeArgs>();
  auto* c = app.add_subcommand("merge", "Merge result databases (e.g. of --shard i/n jobs) into one");
  c->add_option("--into", a->into, "Destination database (created when missing)")->required();
  c->add_option("sources", a->sources, "Source databases (read, never modified)")
      ->required()
      ->expected(1, -1);
  c->callback([a] { run_merge(*a); });
}

}  // namespace dbsa::cli
