#pragma once
// `dbsa chart`: one chart of a results database exported headless as PNG, PDF or SVG.
#include <filesystem>
#include <optional>
#include <string>

#include "store/chart_data.h"

namespace CLI {
class App;
}

namespace dbsa::ui {

struct ChartRequest {
  std::filesystem::path db;
  ChartKind kind = ChartKind::Accuracy;
  std::filesystem::path out;
  int width = 1000;
  int height = 640;
  std::optional<std::string> dataset;
  RunFilter filter;  // only these runs (store/run_filter.h: model, configuration, run ids); empty: all
};

// Reads the database (read-only), draws the chart and writes `out` atomically. Returns the number of
// method series drawn; `warning` (when given) receives ChartData::warning (runs of several models). Starts an
// offscreen QApplication when the process has none. Errors are exceptions whose message names the file; an
// error never leaves a file at `out`.
int render_chart(const ChartRequest& request, std::string* warning = nullptr);

// Adds `chart` to the dbsa command line (the app's main passes it to dbsa::cli::run).
void register_chart_command(CLI::App& app);

}  // namespace dbsa::ui
