#include "ui/shell/studio_demo.h"

#include <QDir>

#include "model/builtin_model.h"
#include "ui/pages/cache_page.h"
#include "ui/pages/model_page.h"
#include "ui/pages/pool_page.h"
#include "ui/pages/query_page.h"
#include "ui/pages/runs_page.h"
#include "ui/shell/main_window.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

constexpr int kStepTimeoutMs = 10 * 60 * 1000;

// Waits for the job a step started; its error message, empty on success.
QString finish_step(BackgroundJob& job, const QString& step) {
  QString error;
  const auto c = QObject::connect(&job, &BackgroundJob::failed, [&error](const QString& m) { error = m; });
  const bool done = job.wait(kStepTimeoutMs);
  QObject::disconnect(c);
  if (!done) return step + ": timed out";
  return error.isEmpty() ? QString() : step + ": " + error;
}

}  // namespace

QString run_demo(MainWindow& w, const DemoOptions& opts) {
  StudioState& state = w.state();
  BackgroundJob& job = state.job();
  QDir().mkpath(opts.work_dir);
  QString model;
  try {
    model = QString::fromStdString(builtin_model_path().string());
  } catch (const std::exception& e) {
    return QStringLiteral("default model: ") + QString::fromStdString(e.what());
  }
  w.model_page().open_model(model);
  if (QString e = finish_step(job, QStringLiteral("open model")); !e.isEmpty()) return e;
  w.model_page().generate(QStringLiteral("Question: Where is the Eiffel Tower ?\nType:"), 4);
  if (QString e = finish_step(job, QStringLiteral("generate")); !e.isEmpty()) return e;

  PoolRequest pr;
  pr.dataset = QStringLiteral("trec");
  pr.data_dir = opts.data_dir;
  pr.blocks = opts.blocks;
  pr.block_demos = opts.block_demos;
  w.pool_page().set_request(pr);
  w.pool_page().load_pool();
  if (QString e = finish_step(job, QStringLiteral("load pool")); !e.isEmpty()) return e;

  w.cache_page().set_store_root(QDir(opts.work_dir).filePath(QStringLiteral("kvstore")));
  w.cache_page().build_cache();
  if (QString e = finish_step(job, QStringLiteral("build cache")); !e.isEmpty()) return e;
  if (state.cache_dir().empty()) return QStringLiteral("build cache: no cache was published");

  // Layer 3, head 0 of the built-in model is the head trained to look at the label tokens of the
  // demonstrations of the query's class (resources/models/README.md, "attention pull"): the demo opens on it.
  state.set_capture_head(3, 0);
  w.query_page().run_test_query(0);
  if (QString e = finish_step(job, QStringLiteral("query")); !e.isEmpty()) return e;
  // A second query, so the pages show what follows a first one (the Attention page re-plots for it).
  w.query_page().run_test_query(1);
  if (QString e = finish_step(job, QStringLiteral("second query")); !e.isEmpty()) return e;

  const QString db = QDir(opts.work_dir).filePath(QStringLiteral("demo-results.sqlite"));
  QFile::remove(db);
  w.runs_page().set_db(db);
  RunRequest rr;
  rr.methods = QStringLiteral("dbsa,full-icl,retrieval-icl,zero-shot");
  rr.blocks = 4;
  rr.block_demos = 5;
  rr.select = 2;
  rr.runs = 2;
  rr.test = opts.eval_test;
  w.runs_page().set_request(rr);
  w.runs_page().start_eval();
  return finish_step(job, QStringLiteral("evaluate"));
}

}  // namespace dbsa::ui
