#include "store/chart_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "store/report.h"
#include "store/results_db.h"
#include "store/summary_stats.h"

namespace dbsa {
namespace {

constexpr std::array<std::pair<ChartKind, const char*>, 5> kKinds{{
    {ChartKind::Accuracy, "accuracy"},
    {ChartKind::LatencyTotal, "latency-total"},
    {ChartKind::LatencyQuery, "latency-query"},
    {ChartKind::Storage, "storage"},
    {ChartKind::AccuracyVsContext, "accuracy-vs-context"},
}};

constexpr std::array<const char*, 6> kPaperMethods{"dbsa",          "full-icl",  "cached-icl",
                                                   "retrieval-icl", "zero-shot", "finetuned"};

std::string join(const std::set<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Three significant digits at most, never scientific: the label sits above a bar on a linear axis.
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) >= 100 ? "%.0f" : std::abs(v) >= 10 ? "%.1f" : "%.2f", v);
  return buf;
}

bool method_less(const std::string& a, const std::string& b) {
  return std::make_pair(method_rank(a), a) < std::make_pair(method_rank(b), b);
}

// A scale that keeps tick labels short: the largest unit the biggest value is at least 1 of.
struct Unit {
  const char* name;
  double factor;  // value in base units / factor = value in this unit
};

Unit time_unit(double max_seconds) {
  if (max_seconds >= 1) return {"s", 1};
  if (max_seconds >= 1e-3) return {"ms", 1e-3};
  return {"µs", 1e-6};
}

Unit byte_unit(double max_bytes) {
  if (max_bytes >= 1024.0 * 1024 * 1024) return {"GiB", 1024.0 * 1024 * 1024};
  if (max_bytes >= 1024.0 * 1024) return {"MiB", 1024.0 * 1024};
  if (max_bytes >= 1024.0) return {"KiB", 1024.0};
  return {"bytes", 1};
}

// The finished runs the chart draws, with the dataset and model rules of build_chart_data applied.
struct Selection {
  std::vector<RunRecord> runs;
  std::string dataset;           // empty for Accuracy over several datasets
  RunFilter filter;              // the runs kept (empty: every finished run)
  std::set<std::string> models;  // run_model_fingerprint of the runs drawn
  std::set<std::string> model_names;
  bool several_models() const { return models.size() > 1; }
};

// A method's series, per model when the runs come from several: ordered as method_less, then model.
using SeriesKey = std::pair<std::string, std::string>;  // (method, model name)
bool series_less(const SeriesKey& a, const SeriesKey& b) {
  if (method_less(a.first, b.first)) return true;
  if (method_less(b.first, a.first)) return false;
  return a.second < b.second;
}
std::string series_name(const Selection& s, const SeriesKey& k) {
  return s.several_models() ? k.first + " · " + k.second : k.first;
}
// A series for key k: its name, method and model index (the model's place among those drawn).
ChartSeries series_for(const Selection& s, const SeriesKey& k) {
  ChartSeries c;
  c.name = series_name(s, k);
  c.method = k.first;
  c.model_index = static_cast<int>(std::distance(s.model_names.begin(), s.model_names.find(k.second)));
  if (c.model_index >= static_cast<int>(s.model_names.size())) c.model_index = 0;
  return c;
}

Selection select_runs(ResultsDb& db, std::vector<RunRecord> runs, ChartKind kind,
                      const std::optional<std::string>& dataset, const RunFilter& filter) {
  const std::string file = db.file().string();
  std::vector<RunRecord> finished;
  std::set<std::string> datasets, all_models;
  for (RunRecord& r : runs) {
    if (r.status != RunStatus::Finished) continue;
    all_models.insert(run_model_name(r.info));
    if (!filter.matches(r.id, r.info)) continue;
    datasets.insert(r.info.dataset);
    if (!dataset || r.info.dataset == *dataset) finished.push_back(std::move(r));
  }
  if (all_models.empty())
    throw std::runtime_error(file + ": no finished runs to chart (run dbsa eval first)");
  if (datasets.empty())
    throw std::runtime_error(file + ": no finished runs of " + filter.describe() +
                             " (models with finished runs: " + join(all_models) + ")");
  if (finished.empty())
    throw std::runtime_error(file + ": no finished runs for dataset '" + *dataset +
                             "' (datasets with finished runs: " + join(datasets) + ")");
  Selection s;
  s.runs = std::move(finished);
  s.filter = filter;
  for (const RunRecord& r : s.runs) {
    s.models.insert(r.info.model_fingerprint);
    s.model_names.insert(run_model_name(r.info));
  }
  if (dataset) {
    s.dataset = *dataset;
  } else if (datasets.size() == 1) {
    s.dataset = *datasets.begin();
  } else if (kind != ChartKind::Accuracy) {
    throw std::runtime_error(file + ": the finished runs come from several datasets (" + join(datasets) +
                             "); choose one with --dataset");
  }
  return s;
}

std::vector<ReportRow> report_rows(ResultsDb& db, const Selection& s) {
  ReportOptions o;
  o.filter = s.filter;
  std::vector<ReportRow> rows;
  for (ReportRow& r : build_report(db, o))
    if (s.dataset.empty() || r.dataset == s.dataset) rows.push_back(std::move(r));
  std::stable_sort(rows.begin(), rows.end(), [](const ReportRow& a, const ReportRow& b) {
    return series_less({a.method, a.model}, {b.method, b.model});
  });
  return rows;
}

std::string for_dataset(const Selection& s) {
  return s.dataset.empty() ? "" : " — " + s.dataset;
}

ChartData accuracy_chart(ResultsDb& db, const Selection& s) {
  ChartData d;
  d.style = ChartStyle::Bars;
  d.title = "Accuracy per method" + for_dataset(s);
  d.x_label = "Dataset";
  d.y_label = "Accuracy (%)";
  d.note = "bars: mean over runs; whiskers: ± sample std over pool seeds";
  auto rows = report_rows(db, s);
  std::set<std::string> datasets;
  for (const auto& r : rows) datasets.insert(r.dataset);
  d.categories.assign(datasets.begin(), datasets.end());
  std::map<SeriesKey, ChartSeries, decltype(&series_less)> by_method(&series_less);
  for (const auto& r : rows) {
    auto [it, fresh] = by_method.try_emplace({r.method, r.model});
    if (fresh) it->second = series_for(s, {r.method, r.model});
    ChartSeries& c = it->second;
    auto at = std::find(d.categories.begin(), d.categories.end(), r.dataset) - d.categories.begin();
    c.x.push_back(static_cast<double>(at));
    c.y.push_back(100 * r.accuracy_mean);
    c.err_minus.push_back(100 * r.accuracy_std);
    c.err_plus.push_back(100 * r.accuracy_std);
    c.labels.push_back(short_number(100 * r.accuracy_mean));
  }
  for (auto& [m, c] : by_method) d.series.push_back(std::move(c));
  return d;
}

ChartData latency_total_chart(ResultsDb& db, const Selection& s) {
  ChartData d;
  d.title = "Total latency vs number of requests" + for_dataset(s);
  d.x_label = "Requests n";
  d.y_label = "Total latency: setup + n × per-query mean (s)";
  d.log_x = d.log_y = true;
  d.note = "setup paid once, then every request costs the mean per-query latency";
  const auto ns = request_counts();
  for (const auto& r : report_rows(db, s)) {
    ChartSeries c = series_for(s, {r.method, r.model});
    for (double n : ns) {
      double total = r.setup_seconds_mean + n * r.query_mean_seconds;
      // A log axis cannot show 0 (a method without setup or timings): leave such points out.
      if (total > 0) {
        c.x.push_back(n);
        c.y.push_back(total);
      }
    }
    d.series.push_back(std::move(c));
  }
  return d;
}

ChartData latency_query_chart(ResultsDb& db, const Selection& s) {
  ChartData d;
  d.style = ChartStyle::Bars;
  auto rows = report_rows(db, s);
  double max_p95 = 0;
  for (const auto& r : rows) max_p95 = std::max(max_p95, r.query_p95_seconds);
  Unit u = time_unit(max_p95);
  d.title = "Per-query latency" + for_dataset(s);
  d.x_label = "Method";
  d.y_label = std::string("Latency per query (") + u.name + ")";
  d.note = "bars: median (p50); whiskers: up to p95";
  for (const auto& r : rows) {
    ChartSeries c = series_for(s, {r.method, r.model});
    c.x.push_back(static_cast<double>(d.categories.size()));
    c.y.push_back(r.query_p50_seconds / u.factor);
    c.err_minus.push_back(0);
    c.err_plus.push_back(std::max(0.0, r.query_p95_seconds - r.query_p50_seconds) / u.factor);
    c.labels.push_back("p50 " + short_number(r.query_p50_seconds / u.factor) + "\np95 " +
                       short_number(r.query_p95_seconds / u.factor));
    d.categories.push_back(c.name);
    d.series.push_back(std::move(c));
  }
  return d;
}

// Points of one method averaged per key (pool size, or configuration), sorted by x.
struct PointAcc {
  std::vector<double> x, y;
};

template <typename Key>
ChartSeries to_series(ChartSeries c, const std::map<Key, PointAcc>& acc) {
  std::vector<std::pair<double, double>> pts;
  for (const auto& [key, p] : acc) pts.emplace_back(mean_of(p.x), mean_of(p.y));
  std::sort(pts.begin(), pts.end());
  for (const auto& [x, y] : pts) {
    c.x.push_back(x);
    c.y.push_back(y);
  }
  return c;
}

ChartData storage_chart(const Selection& s) {
  ChartData d;
  // Keyed by pool size in demonstrations.
  std::map<SeriesKey, std::map<int, PointAcc>, decltype(&series_less)> acc(&series_less);
  double max_bytes = 0;
  for (const RunRecord& r : s.runs) {
    int pool = r.info.params.blocks * r.info.params.block_demos;
    auto& p = acc[{r.info.method, run_model_name(r.info)}][pool];
    p.x.push_back(pool);
    p.y.push_back(static_cast<double>(r.setup.kv_bytes));
    max_bytes = std::max(max_bytes, static_cast<double>(r.setup.kv_bytes));
  }
  Unit u = byte_unit(max_bytes);
  d.title = "KV storage vs pool size" + for_dataset(s);
  d.x_label = "Pool size (demonstrations = blocks × demos per block)";
  d.y_label = std::string("KV cache size (") + u.name + ")";
  d.note = "mean over runs of the KV bytes each method keeps";
  for (const auto& [key, points] : acc) {
    ChartSeries c = to_series(series_for(s, key), points);
    for (double& y : c.y) y /= u.factor;
    d.series.push_back(std::move(c));
  }
  return d;
}

ChartData accuracy_vs_context_chart(ResultsDb& db, const Selection& s) {
  ChartData d;
  d.title = "Accuracy vs context size" + for_dataset(s);
  d.x_label = "Context attended per query (tokens, mean)";
  d.y_label = "Accuracy (%)";
  d.note = "one point per configuration (blocks, demos per block, selected blocks)";
  std::map<SeriesKey, std::map<std::tuple<int, int, int>, PointAcc>, decltype(&series_less)> acc(
      &series_less);
  double min_x = 0, max_x = 0;
  for (const RunRecord& r : s.runs) {
    auto agg = db.aggregates(r.id);
    if (!agg) continue;
    const RunParams& q = r.info.params;
    auto& p = acc[{r.info.method, run_model_name(r.info)}][{q.blocks, q.block_demos, q.select}];
    const double x = agg->tokens_attended_mean;
    p.x.push_back(x);
    p.y.push_back(100 * agg->accuracy);
    min_x = (min_x == 0 || x < min_x) ? x : min_x;
    max_x = std::max(max_x, x);
  }
  // Zero-shot attends tens of tokens, full ICL tens of thousands: a linear axis would squash all but one.
  d.log_x = min_x > 0 && max_x / min_x > 20;
  for (const auto& [key, points] : acc) d.series.push_back(to_series(series_for(s, key), points));
  return d;
}

// The bar and latency kinds draw one series per method and model, pooling that method's runs: when
// those runs differ in configuration (a sweep in one database), say so, naming the methods. The
// storage and context kinds draw a point per configuration and pool nothing.
std::string pooled_configs(ChartKind kind, const Selection& s) {
  if (kind == ChartKind::Storage || kind == ChartKind::AccuracyVsContext) return {};
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> configs;
  for (const RunRecord& r : s.runs)
    configs[{r.info.dataset, r.info.model_fingerprint, r.info.method}].insert(run_config_text(r.info.params));
  std::set<std::string> methods;
  size_t most = 0;
  for (const auto& [key, c] : configs)
    if (c.size() > 1) {
      methods.insert(std::get<2>(key));
      most = std::max(most, c.size());
    }
  if (methods.empty()) return {};
  return "the runs of " + join(methods) + " come from up to " + std::to_string(most) +
         " configurations, pooled into one series each; choose one with --config";
}

}  // namespace

ChartKind parse_chart_kind(std::string_view name) {
  for (const auto& [k, n] : kKinds)
    if (name == n) return k;
  std::string valid;
  for (const auto& [k, n] : kKinds) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw std::invalid_argument("unknown chart kind '" + std::string(name) + "' (expected one of: " + valid +
                              ")");
}

const char* chart_kind_name(ChartKind kind) {
  for (const auto& [k, n] : kKinds)
    if (k == kind) return n;
  return "?";
}

std::vector<std::string> chart_kind_names() {
  std::vector<std::string> v;
  for (const auto& [k, n] : kKinds) v.emplace_back(n);
  return v;
}

int method_rank(const std::string& method) {
  for (size_t i = 0; i < kPaperMethods.size(); ++i)
    if (method == kPaperMethods[i]) return static_cast<int>(i);
  return static_cast<int>(kPaperMethods.size());
}

std::vector<double> request_counts() {
  // 10 points per decade: smooth curves on a log axis, exact powers of ten included.
  std::vector<double> v;
  for (int i = 0; i <= 50; ++i) v.push_back(std::round(std::pow(10.0, i / 10.0) * 1000) / 1000);
  return v;
}

std::vector<std::string> chart_models(const std::vector<RunRecord>& runs) {
  std::set<std::string> names;
  for (const RunRecord& r : runs)
    if (r.status == RunStatus::Finished) names.insert(run_model_name(r.info));
  return {names.begin(), names.end()};
}

std::vector<std::string> chart_models(ResultsDb& db) {
  return chart_models(db.runs());
}

std::vector<std::string> chart_configs(const std::vector<RunRecord>& runs, const std::string& model) {
  std::set<std::string> configs;
  for (const RunRecord& r : runs)
    if (r.status == RunStatus::Finished && run_model_matches(r.info, model))
      configs.insert(run_config_text(r.info.params));
  return {configs.begin(), configs.end()};
}

std::vector<std::string> chart_configs(ResultsDb& db, const std::string& model) {
  return chart_configs(db.runs(), model);
}

ChartData build_chart_data(ResultsDb& db, ChartKind kind, const std::optional<std::string>& dataset,
                           const RunFilter& filter) {
  return build_chart_data(db, db.runs(), kind, dataset, filter);
}

ChartData build_chart_data(ResultsDb& db, std::vector<RunRecord> runs, ChartKind kind,
                           const std::optional<std::string>& dataset, const RunFilter& filter) {
  Selection s = select_runs(db, std::move(runs), kind, dataset, filter);
  ChartData d;
  switch (kind) {
    case ChartKind::Accuracy:
      d = accuracy_chart(db, s);
      break;
    case ChartKind::LatencyTotal:
      d = latency_total_chart(db, s);
      break;
    case ChartKind::LatencyQuery:
      d = latency_query_chart(db, s);
      break;
    case ChartKind::Storage:
      d = storage_chart(s);
      break;
    case ChartKind::AccuracyVsContext:
      d = accuracy_vs_context_chart(db, s);
      break;
  }
  d.kind = kind;
  if (s.several_models())
    d.warning = "the runs come from " + std::to_string(s.models.size()) + " models (" + join(s.model_names) +
                "): each method is drawn once per model; choose one with --model";
  if (const std::string pooled = pooled_configs(kind, s); !pooled.empty())
    d.warning += (d.warning.empty() ? "" : "; ") + pooled;
  return d;
}

}  // namespace dbsa
