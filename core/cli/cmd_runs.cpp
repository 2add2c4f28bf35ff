// `dbsa runs`: every run of a results database, one line each, with the id that `--runs` filters take.
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "store/results_db.h"
#include "store/run_list.h"

namespace dbsa::cli {
namespace {

struct RunsArgs {
  std::string db;
  bool json = false;
};

void run_runs(const RunsArgs& a) {
  // Read-only: listing never changes the database (an older schema is migrated in memory).
  const ResultsDb db(a.db, OpenMode::ReadOnly);
  const auto rows = list_runs(db);
  std::cout << (a.json ? runs_json(rows) : runs_text(rows));
}

}  // namespace

void register_runs_command(CLI::App& app) {
  auto a = std::make_shared<RunsArgs>();
  auto* c = app.add_subcommand(
      "runs",
      "Every run of a results database (any status): id, method, model, dataset, preset, configuration, "
      "context, accuracy; the ids and configurations `report`/`chart` --runs/--config take");
  c->add_option("--db", a->db, "Results database (SQLite) written by dbsa eval")->required();
  c->add_flag("--json", a->json, "JSON output");
  c->callback([a] { run_runs(*a); });
}

}  // namespace dbsa::cli
