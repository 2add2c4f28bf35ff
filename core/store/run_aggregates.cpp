#include "store/run_aggregates.h"

#include <vector>

#include "store/summary_stats.h"
#include "util/sqlite_db.h"

namespace dbsa {

RunAggregates compute_run_aggregates(SqliteDb& db, int64_t run_id) {
  SqliteStatement st(db, "SELECT correct, total_seconds FROM predictions WHERE run_id = ?1");
  st.bind(1, run_id);
  RunAggregates a;
  std::vector<double> latency;
  while (st.step()) {
    a.n += 1;
    a.n_correct += st.column_int(0) != 0 ? 1 : 0;
    latency.push_back(st.column_double(1));
  }
  a.accuracy = a.n > 0 ? static_cast<double>(a.n_correct) / static_cast<double>(a.n) : 0;
  a.query_mean_seconds = mean_of(latency);
  a.query_p50_seconds = percentile_linear(latency, 0.50);
  a.query_p95_seconds = percentile_linear(latency, 0.95);
  return a;
}

}  // namespace dbsa
