#pragma once
// Helpers of the studio tests: one offscreen QApplication per test process (with QStandardPaths in
// test mode, so settings and app data never touch the user's), the tiny fixture model, a small TREC
// pool (4 blocks × 5 demonstrations), and a main window driven through the pages' public slots up to
// a given step, each step waiting for its background job.
#include <gtest/gtest.h>

#include <QApplication>
#include <QSignalSpy>
#include <QStandardPaths>
#include <filesystem>
#include <memory>
#include <string>

#include "support/test_paths.h"
#include "ui/pages/cache_page.h"
#include "ui/pages/model_page.h"
#include "ui/pages/pool_page.h"
#include "ui/pages/query_page.h"
#include "ui/shell/background_job.h"
#include "ui/shell/main_window.h"
#include "ui/shell/offscreen_app.h"
#include "ui/shell/studio_state.h"

namespace dbsa::test {

inline void need_studio_app() {
  static std::unique_ptr<QApplication> app = [] {
    QStandardPaths::setTestModeEnabled(true);
    auto created = ui::ensure_application();
    QCoreApplication::setOrganizationName("dbsa");
    QCoreApplication::setApplicationName("dbsa-studio-tests");
    return created;
  }();
}

inline QString tiny_model() {
  return QString::fromStdString(fixture("models/tiny-spm-f32.gguf").string());
}

// Waits for the job; its failure message (empty when it finished or was cancelled).
inline std::string wait_job(ui::BackgroundJob& job, int timeout_ms = 60000) {
  std::string error;
  const auto c = QObject::connect(&job, &ui::BackgroundJob::failed,
                                  [&error](const QString& m) { error = m.toStdString(); });
  const bool done = job.wait(timeout_ms);
  QObject::disconnect(c);
  return done ? error : "timed out";
}

// wait_job for a job and the jobs its publish starts (a model opened with a pool loaded regroups the
// pool): the first error, or "timed out".
inline std::string wait_jobs(ui::BackgroundJob& job) {
  std::string error;
  const auto c = QObject::connect(&job, &ui::BackgroundJob::failed, [&error](const QString& m) {
    if (error.empty()) error = m.toStdString();
  });
  for (int i = 0; i < 4 && job.running(); ++i) job.wait(60000);
  QObject::disconnect(c);
  return job.running() ? "timed out" : error;
}

enum class Step { Model, Pool, Cache, Query };

// A main window (not shown) with the fixture model (or `model`), a 4×5 TREC pool, a cache with S=1 P=1
// in a fresh store and one test query, as far as `last`. Fails the test (ADD_FAILURE) on any step's error.
struct Studio {
  std::unique_ptr<ui::MainWindow> window;
  std::filesystem::path scratch;

  Studio(const std::string& name, Step last, const QString& model = tiny_model()) {
    need_studio_app();
    scratch = scratch_dir(name);
    window = std::make_unique<ui::MainWindow>();
    auto& job = window->state().job();
    window->model_page().open_model(model);
    if (const auto e = wait_job(job); !e.empty()) ADD_FAILURE() << "open model: " << e;
    if (last == Step::Model) return;
    ui::PoolRequest pr;
    pr.dataset = "trec";
    pr.data_dir = QString::fromStdString(data("").string());
    pr.blocks = 4;
    pr.block_demos = 5;
    window->pool_page().set_request(pr);
    window->pool_page().load_pool();
    if (const auto e = wait_job(job); !e.empty()) ADD_FAILURE() << "load pool: " << e;
    if (last == Step::Pool) return;
    window->cache_page().set_store_root(QString::fromStdString((scratch / "store").string()));
    ui::CacheRequest cr;
    cr.sink = 1;
    cr.prev = 1;
    window->cache_page().set_request(cr);
    window->cache_page().build_cache();
    if (const auto e = wait_job(job); !e.empty()) ADD_FAILURE() << "build cache: " << e;
    if (last == Step::Cache) return;
    window->query_page().set_select(3);
    window->query_page().run_test_query(0);
    if (const auto e = wait_job(job); !e.empty()) ADD_FAILURE() << "query: " << e;
  }
  ui::StudioState& state() { return window->state(); }
};

}  // namespace dbsa::test
