#pragma once
// Per-run aggregates computed from the run's prediction rows; shared by finish_run and the v2
// migration that backfills percentiles of runs written by v1.
#include <cstdint>

#include "store/run_record.h"

namespace dbsa {

class SqliteDb;

RunAggregates compute_run_aggregates(SqliteDb& db, int64_t run_id);

}  // namespace dbsa
