#pragma once
// What each `dbsa chart` kind plots, as plain numbers taken from the FINISHED runs of a results
// database: the series, axis labels with units and scales. No Qt here, so the numbers are tested
// without drawing anything; chart_builder.h turns a ChartData into a QCustomPlot.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/run_filter.h"
#include "store/run_record.h"

namespace dbsa {

class ResultsDb;

enum class ChartKind {
  Accuracy,           // accuracy per method and dataset, bars with ± std over runs
  LatencyTotal,       // setup + n × per-query mean vs n requests, log-log (paper Figures 1/3)
  LatencyQuery,       // per-query latency per method: bar at p50, whisker to p95
  Storage,            // KV bytes vs pool size in demonstrations (paper Figure 4)
  AccuracyVsContext,  // accuracy vs tokens attended per query, a line per method
};

// Throws std::invalid_argument naming the kind and listing the valid ones.
ChartKind parse_chart_kind(std::string_view name);
const char* chart_kind_name(ChartKind kind);
std::vector<std::string> chart_kind_names();

enum class ChartStyle { Lines, Bars };

// One method. Lines: points (x[i], y[i]). Bars: one bar per category index x[i] with height y[i] and
// whiskers y[i] − err_minus[i] … y[i] + err_plus[i] (empty vectors: no whiskers) and the value
// written above the bar, labels[i] (empty: none), so small bars stay readable.
struct ChartSeries {
  std::string name;
  std::string method;   // the method the series draws (name adds the model when several are drawn)
  int model_index = 0;  // which of the drawn models (0 for the first, or the only one)
  std::vector<double> x, y;
  std::vector<double> err_minus, err_plus;
  std::vector<std::string> labels;
};

struct ChartData {
  ChartKind kind = ChartKind::Accuracy;
  ChartStyle style = ChartStyle::Lines;
  std::string title;
  std::string x_label, y_label;  // with units
  bool log_x = false, log_y = false;
  std::vector<std::string> categories;  // Bars: the x tick labels, indexed by ChartSeries::x
  std::vector<ChartSeries> series;      // one per method, in paper order (method_order)
  std::string note;                     // how to read the chart (e.g. what the whiskers are)
  // Non-empty when the runs drawn come from several models: each method is then a series per model
  // ("dbsa · model.gguf"), never pooled, and this says so and how to pick one.
  std::string warning;
};

// Paper order (dbsa, full-icl, cached-icl, retrieval-icl, zero-shot, finetuned), unknown methods after,
// alphabetically; the same order (and so the same colours) in every chart.
int method_rank(const std::string& method);

// Numbers for one chart kind. `dataset` restricts to one dataset; without it, every kind but
// Accuracy needs the finished runs to come from a single dataset (mixing datasets would average
// unlike prompts). `filter` keeps one model's, one configuration's or chosen runs (store/run_filter.h);
// without a model, runs of different models are drawn as separate series. Throws std::runtime_error
// naming the database when there are no finished runs (for the dataset or the filter, saying which
// filter left none) or the dataset is ambiguous.
ChartData build_chart_data(ResultsDb& db, ChartKind kind, const std::optional<std::string>& dataset = {},
                           const RunFilter& filter = {});
// The same over `runs`, db.runs() already read (a caller that also lists models and configurations
// reads the runs table once).
ChartData build_chart_data(ResultsDb& db, std::vector<RunRecord> runs, ChartKind kind,
                           const std::optional<std::string>& dataset = {}, const RunFilter& filter = {});

// The models of the finished runs (run_model_name), sorted: what a model filter can choose from.
std::vector<std::string> chart_models(const std::vector<RunRecord>& runs);
std::vector<std::string> chart_models(ResultsDb& db);
// The configurations of the finished runs of `model` (all models when empty) as run_config_text gives
// them, sorted: what a configuration filter can choose from.
std::vector<std::string> chart_configs(const std::vector<RunRecord>& runs, const std::string& model = {});
std::vector<std::string> chart_configs(ResultsDb& db, const std::string& model = {});

// The request counts of the total-latency chart: 1 … 100,000, log-spaced.
std::vector<double> request_counts();

}  // namespace dbsa
