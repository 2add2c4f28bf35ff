// `dbsa chart`: the one place that ties the results database, the chart drawing and the export.
#include "ui/charts/chart_command.h"

#include <qcustomplot.h>

#include <CLI/CLI.hpp>
#include <QApplication>
#include <iostream>
#include <memory>

#include "store/results_db.h"
#include "ui/charts/chart_builder.h"
#include "ui/charts/chart_export.h"
#include "ui/shell/offscreen_app.h"

namespace dbsa::ui {
namespace {

struct ChartArgs {
  std::string db, kind, out, dataset, model, config, runs;
  int width = 1000;
  int height = 640;
};

void run_chart(const ChartArgs& a) {
  ChartRequest r;
  r.db = a.db;
  r.kind = parse_chart_kind(a.kind);
  r.out = a.out;
  r.width = a.width;
  r.height = a.height;
  if (!a.dataset.empty()) r.dataset = a.dataset;
  r.filter.model = a.model;
  r.filter.config = a.config;
  if (!a.runs.empty()) r.filter.runs = parse_run_ids(a.runs, "--runs");
  // Errors are exceptions printed as one line by the CLI; Qt's own chatter (e.g. "XDG_RUNTIME_DIR not
  // set" on the offscreen platform) would only bury that line.
  QtMessageHandler previous =
      qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& msg) {
        if (type == QtCriticalMsg || type == QtFatalMsg) std::cerr << "qt: " << msg.toStdString() << "\n";
      });
  struct Restore {
    QtMessageHandler h;
    ~Restore() { qInstallMessageHandler(h); }
  } restore{previous};
  std::string warning;
  int series = render_chart(r, &warning);
  if (!warning.empty()) std::cerr << "dbsa chart: warning: " << warning << "\n";
  std::cout << "wrote " << r.out.string() << " (" << chart_kind_name(r.kind) << ", " << series << " series, "
            << r.width << "x" << r.height << ")\n";
}

}  // namespace

int render_chart(const ChartRequest& request, std::string* warning) {
  // Cheap checks first: a bad --out must not wait for the database.
  check_export(request.out, request.width, request.height);
  // Read-only: charting never changes the database (an older schema is migrated in memory).
  ResultsDb db(request.db, OpenMode::ReadOnly);
  ChartData data = build_chart_data(db, request.kind, request.dataset, request.filter);
  if (warning) *warning = data.warning;
  auto app = ensure_application();  // only now: a bad request never starts Qt
  QCustomPlot plot;
  int series = build_chart(plot, data);
  export_chart(plot, request.out, request.width, request.height);
  return series;
}

void register_chart_command(CLI::App& app) {
  auto a = std::make_shared<ChartArgs>();
  std::string kinds;
  for (const auto& k : chart_kind_names()) kinds += (kinds.empty() ? "" : "|") + k;
  auto* c =
      app.add_subcommand("chart", "Export a chart of the finished runs of a results database (headless)");
  c->add_option("--db", a->db, "Results database (SQLite) written by dbsa eval")->required();
  c->add_option("--kind", a->kind,
                kinds +
                    ": accuracy per method and dataset; total latency vs requests (log-log); per-query "
                    "latency p50/p95; KV storage vs pool size; accuracy vs tokens attended")
      ->required();
  c->add_option("--out,-o", a->out, "Output file; the format follows the extension: .png, .pdf or .svg")
      ->required();
  c->add_option("--width", a->width, "Width in pixels (PDF/SVG: points)")->capture_default_str();
  c->add_option("--height", a->height, "Height in pixels (PDF/SVG: points)")->capture_default_str();
  c->add_option("--dataset", a->dataset, "Only runs of this dataset (needed when the database has several)");
  c->add_option("--model", a->model,
                "Only runs of this model: its path, file name or a fingerprint prefix (8+ characters); "
                "without it, runs of several models are drawn per model, with a warning");
  c->add_option("--config", a->config,
                "Only runs of this configuration, as `dbsa report --by-config` writes it ('blocks=8 demos=10 "
                "select=3 sink=1 prev=2 grouping=… order=… test=…'); without it, a method's runs of several "
                "configurations are pooled, with a warning");
  c->add_option("--runs", a->runs, "Only these runs: row ids as `dbsa runs` lists them, comma-separated");
  c->callback([a] { run_chart(*a); });
}

}  // namespace dbsa::ui
