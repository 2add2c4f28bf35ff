#include "store/report.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "store/results_db.h"
#include "store/run_owner.h"
#include "store/summary_stats.h"

namespace dbsa {
namespace {

struct Group {
  std::vector<double> accuracy, setup, kv_bytes, latency;
  int64_t cache_hits = 0;
};

// Rows are grouped by (dataset, model name, model fingerprint, method, config): the name first so
// rows sort by it, the fingerprint so two files of the same name stay apart.
using GroupKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

}  // namespace

double amortized_seconds_per_query(double setup_seconds, double per_query_seconds, double n_requests) {
  return (setup_seconds + n_requests * per_query_seconds) / n_requests;
}

std::vector<ReportRow> build_report(ResultsDb& db, const ReportOptions& options) {
  SqliteDb& c = db.connection();
  // One read transaction, so rows and predictions come from one snapshot even while a writer commits.
  SqliteTransaction snapshot(c, SqliteTransaction::Kind::Read);

  SqliteStatement runs(
      c,
      "SELECT r.id, r.dataset, r.method, r.blocks, r.block_demos, r.n_select, r.sink, r.prev, "
      "r.grouping, r.block_order, r.test_size, r.setup_seconds, r.cache_hit, r.kv_bytes, "
      "a.accuracy, r.model_path, r.model_fingerprint FROM runs r JOIN aggregates a ON a.run_id = r.id "
      "WHERE r.status = 'finished' ORDER BY r.id");
  SqliteStatement lat(c, "SELECT total_seconds FROM predictions WHERE run_id = ?1");
  std::map<GroupKey, Group> groups;
  while (runs.step()) {
    RunInfo info;
    info.model_path = runs.column_text(15);
    info.model_fingerprint = runs.column_text(16);
    RunParams& p = info.params;
    p.blocks = static_cast<int>(runs.column_int(3));
    p.block_demos = static_cast<int>(runs.column_int(4));
    p.select = static_cast<int>(runs.column_int(5));
    p.sink = static_cast<int>(runs.column_int(6));
    p.prev = static_cast<int>(runs.column_int(7));
    p.grouping = runs.column_text(8);
    p.order = runs.column_text(9);
    p.test_size = static_cast<int>(runs.column_int(10));
    if (!options.filter.matches(runs.column_int(0), info)) continue;
    const std::string config = options.by_config ? run_config_text(p) : std::string();
    Group& g = groups[{runs.column_text(1), run_model_name(info), info.model_fingerprint, runs.column_text(2),
                       config}];
    g.setup.push_back(runs.column_double(11));
    g.cache_hits += runs.column_int(12) != 0 ? 1 : 0;
    g.kv_bytes.push_back(static_cast<double>(runs.column_int(13)));
    g.accuracy.push_back(runs.column_double(14));
    lat.bind(1, runs.column_int(0));
    while (lat.step()) g.latency.push_back(lat.column_double(0));
    lat.reset();
  }

  std::vector<ReportRow> rows;
  std::map<std::pair<std::string, std::string>, double> best;  // per (dataset, model fingerprint)
  for (const auto& [key, g] : groups) {
    ReportRow r;
    std::tie(r.dataset, r.model, r.model_fingerprint, r.method, r.config) = key;
    r.runs = static_cast<int64_t>(g.accuracy.size());
    r.queries = static_cast<int64_t>(g.latency.size());
    r.cache_hits = g.cache_hits;
    r.accuracy_mean = mean_of(g.accuracy);
    r.accuracy_std = sample_stddev(g.accuracy);
    r.setup_seconds_mean = mean_of(g.setup);
    r.query_mean_seconds = mean_of(g.latency);
    r.query_p50_seconds = percentile_linear(g.latency, 0.50);
    r.query_p95_seconds = percentile_linear(g.latency, 0.95);
    r.kv_bytes_mean = mean_of(g.kv_bytes);
    r.amortized_seconds_n100 = amortized_seconds_per_query(r.setup_seconds_mean, r.query_mean_seconds, 100);
    r.amortized_seconds_n100000 =
        amortized_seconds_per_query(r.setup_seconds_mean, r.query_mean_seconds, 100000);
    double& b = best[{r.dataset, r.model_fingerprint}];
    b = std::max(b, r.accuracy_mean);
    rows.push_back(std::move(r));
  }
  for (ReportRow& r : rows)
    if (const double b = best[{r.dataset, r.model_fingerprint}]; b > 0)
      r.accuracy_ratio_to_best = r.accuracy_mean / b;
  return rows;
}

std::vector<RunRecord> abandoned_runs(const ResultsDb& db) {
  std::vector<RunRecord> out;
  for (RunRecord& r : db.runs())
    if (run_abandoned(r)) out.push_back(std::move(r));
  return out;
}

}  // namespace dbsa
