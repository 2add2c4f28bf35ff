// `dbsa report`: accuracy, setup and latency per (dataset, model, method) over the finished runs of a
// results database, as a text table, JSON, CSV or Markdown.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "store/report.h"
#include "store/report_format.h"
#include "store/results_db.h"
#include "util/atomic_file.h"

namespace dbsa::cli {
namespace {

struct ReportArgs {
  std::string db;
  bool json = false;
  bool csv = false;
  bool markdown = false;
  bool by_config = false;
  std::string model;
  std::string config;
  std::string runs;
  std::string out;
};

void run_report(const ReportArgs& a) {
  // Read-only: a report never changes the database (an older schema is migrated in memory).
  ResultsDb db(a.db, OpenMode::ReadOnly);
  ReportOptions options;
  options.by_config = a.by_config;
  options.filter.model = a.model;
  options.filter.config = a.config;
  if (!a.runs.empty()) options.filter.runs = parse_run_ids(a.runs, "--runs");
  auto rows = build_report(db, options);
  if (!options.filter.empty() && rows.empty())
    throw std::runtime_error(a.db + ": no finished runs of " + options.filter.describe() +
                             " (a model matches its path, file name or fingerprint prefix; a configuration "
                             "as --by-config writes it)");
  const auto abandoned = abandoned_runs(db);
  std::string text = a.json       ? report_json(rows, abandoned)
                     : a.csv      ? report_csv(rows)
                     : a.markdown ? report_markdown(rows) + abandoned_runs_note(abandoned)
                                  : report_text(rows) + abandoned_runs_note(abandoned);
  // CSV stays one table for spreadsheets; the note goes to the terminal.
  if (a.csv) std::cerr << abandoned_runs_note(abandoned);
  if (a.out.empty())
    std::cout << text;
  else
    write_file_atomic(a.out, text);  // a reader of the file never sees half a report
}

}  // namespace

void register_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* c = app.add_subcommand(
      "report",
      "Accuracy (mean ± std over runs), setup, per-query latency and KV bytes per dataset, model and method");
  c->add_option("--db", a->db, "Results database (SQLite) written by dbsa eval")->required();
  auto* j = c->add_flag("--json", a->json, "JSON output");
  auto* s = c->add_flag("--csv", a->csv, "CSV output");
  auto* m = c->add_flag("--markdown", a->markdown, "Markdown table");
  j->excludes(s, m);
  s->excludes(j, m);
  m->excludes(j, s);
  c->add_flag(
      "--by-config", a->by_config,
      "One row per configuration (blocks, select, sink, prev, grouping, order, test size) for sweeps");
  c->add_option("--model", a->model,
                "Only the runs of this model: its path, file name or a fingerprint prefix (8+ characters); "
                "without it, every model gets its own rows");
  c->add_option("--config", a->config,
                "Only the runs of this configuration, exactly as --by-config writes it");
  c->add_option("--runs", a->runs, "Only these runs: row ids as `dbsa runs` lists them, comma-separated");
  c->add_option("--out,-o", a->out, "Write to this file (atomically) instead of stdout");
  c->callback([a] { run_report(*a); });
}

}  // namespace dbsa::cli
