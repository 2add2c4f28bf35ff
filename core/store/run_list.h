#pragma once
// Every run of a results database with its aggregates (finished runs), as the studio's Runs table and
// `dbsa runs` list them: the one place that reads a database's run list for display, so both show the
// same ids (what `--runs` filters take), statuses, configurations and numbers.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/run_record.h"

namespace dbsa {

class ResultsDb;

struct RunRow {
  RunRecord record;
  std::optional<RunAggregates> aggregates;  // finished runs only
};

// Every status, by row id.
std::vector<RunRow> list_runs(const ResultsDb& db);

// An aligned text table (id, status, method, model, dataset, preset, configuration, seed, context,
// accuracy, queries, p50 ms, started) and {"format": "dbsa-runs", "version": 1, "runs": [...]}.
std::string runs_text(std::span<const RunRow> rows);
std::string runs_json(std::span<const RunRow> rows);

}  // namespace dbsa
