// Each page of the studio driven as a user would, headless: the fixture model, a 4×5 TREC pool, a
// cache (S=1, P=1) in a fresh store, a test query, its attention map, an evaluation and chart export.
#include <gtest/gtest.h>
#include <algorithm>

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QItemSelectionModel>
#include <QLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QXmlStreamReader>
#include <chrono>
#include <cmath>
#include <fstream>

#include "cache/block_cache.h"
#include "cache/cache_manifest.h"
#include "chart_test_db.h"
#include "engine/backend_registry.h"
#include "engine/cpu_backend.h"
#include "engine/quant_kernels.h"
#include "method/model_identity.h"
#include "studio_test_support.h"
#include "ui/models/block_table_model.h"
#include "ui/models/cache_list_model.h"
#include "ui/models/demo_table_model.h"
#include "ui/models/label_histogram_model.h"
#include "ui/models/prediction_table_model.h"
#include "ui/models/retrieved_demo_model.h"
#include "ui/models/run_table_model.h"
#include "ui/models/selected_block_model.h"
#include "ui/pages/attention_page.h"
#include "ui/pages/charts_page.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/run_detail_dialog.h"
#include "ui/pages/runs_page.h"

namespace dbsa::test {
namespace {

std::string head_bytes(const QString& file, qint64 n) {
  QFile f(file);
  return f.open(QIODevice::ReadOnly) ? f.read(n).toStdString() : std::string();
}

TEST(ModelPageTest, ShowsTheFixtureModelAndGenerates) {
  Studio s("model-page", Step::Model);
  ASSERT_TRUE(s.state().model().has_value());
  const std::string info = s.window->model_page().info_text().toStdString();
  EXPECT_NE(info.find("architecture: llama"), std::string::npos) << info;
  EXPECT_NE(info.find("n_embd 64, n_layer 2, n_head 4, n_head_kv 2"), std::string::npos) << info;
  EXPECT_NE(info.find("quantization: F32"), std::string::npos) << info;
  EXPECT_NE(info.find("held as: F32 ×"), std::string::npos) << info;  // the mapped file's floats
  EXPECT_NE(info.find("(mapped, "), std::string::npos) << info;
  EXPECT_NE(info.find("kernels: none"), std::string::npos) << info;
  EXPECT_NE(info.find("tokenizer: llama"), std::string::npos) << info;
  EXPECT_NE(info.find("32000 tokens"), std::string::npos) << info;
  s.window->model_page().generate("The capital of France is", 4);
  EXPECT_EQ(wait_job(s.state().job()), "");
  const QString out = s.window->model_page().output_text();
  EXPECT_TRUE(out.startsWith("The capital of France is")) << out.toStdString();
  EXPECT_GT(out.size(), QString("The capital of France is").size());
}

// A quantized model: its matrices in their blocks, and the kernels of the chosen backend (cpu-reference
// keeps to the vector units where the CPU has a tile unit).
TEST(ModelPageTest, ShowsHowAQuantizedModelIsHeldAndItsKernels) {
  Studio s("model-held", Step::Model);
  s.window->model_page().open_model(QString::fromStdString(fixture("models/tiny-spm-q8_0.gguf").string()));
  ASSERT_EQ(wait_job(s.state().job()), "");
  const auto kernels_of = [&] {
    const std::string info = s.window->model_page().info_text().toStdString();
    const auto at = info.find("kernels: ");
    return at == std::string::npos ? info : info.substr(at, info.find('\n', at) - at);
  };
  const std::string info = s.window->model_page().info_text().toStdString();
  EXPECT_NE(info.find("held as: Q8_0 in its blocks ×"), std::string::npos) << info;
  EXPECT_EQ(kernels_of(), "kernels: Q8_0 " + std::string(isa_name(kernel_isa(WeightType::Q8_0))));
  auto* box = s.window->findChild<QComboBox*>("backendBox");
  ASSERT_NE(box, nullptr);
  box->setCurrentText("cpu-reference");
  ASSERT_EQ(wait_job(s.state().job()), "");
  EXPECT_EQ(kernels_of(),
            "kernels: Q8_0 " + std::string(isa_name(kernel_isa(WeightType::Q8_0, QuantKernels::Vector))));
}

// The weights and KV cache boxes reload the model as the CLI's --weights-* and --kv-cache load it. A
// cache keeps the precision it was computed with: its queries load the cache's model that way whatever
// the box says now (before, a cache of F16 weights could not be queried in the studio at all).
TEST(ModelPageTest, WeightAndKvChoicesReloadAndACacheKeepsItsPrecision) {
  Studio s("model-weights", Step::Pool,
           QString::fromStdString(fixture("models/tiny-spm-q8_0.gguf").string()));
  auto& w = *s.window;
  auto* weights = w.findChild<QComboBox*>("weightsBox");
  auto* kv = w.findChild<QComboBox*>("kvCacheBox");
  auto* backend = w.findChild<QComboBox*>("backendBox");
  ASSERT_NE(weights, nullptr);
  ASSERT_NE(kv, nullptr);
  ASSERT_NE(backend, nullptr);
  const auto field = [&](const std::string& name) {
    const std::string info = w.model_page().info_text().toStdString();
    const auto at = info.find(name + ": ");
    return at == std::string::npos ? info : info.substr(at, info.find('\n', at) - at);
  };
  EXPECT_EQ(weights->currentText(), "native");
  EXPECT_EQ(kv->currentText(), "f32");
  EXPECT_NE(field("held as").find("Q8_0 in its blocks"), std::string::npos) << field("held as");
  EXPECT_EQ(field("kv cache"), "kv cache: f32");
  for (QComboBox* box : {weights, kv})
    for (int i = 0; i < box->count(); ++i)
      EXPECT_FALSE(box->itemData(i, Qt::ToolTipRole).toString().isEmpty()) << box->itemText(i).toStdString();

  weights->setCurrentText("f16");
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  EXPECT_EQ(s.state().model()->load.precision, WeightPrecision::F16);
  EXPECT_NE(field("held as").find("Q8_0 as F16"), std::string::npos) << field("held as");
  EXPECT_EQ(field("kernels"), "kernels: none (no matrix in its blocks)");

  // A cache built now is the F16 weights' (its identity says so), and stays queryable with the weights
  // back in their blocks.
  w.cache_page().set_store_root(QString::fromStdString((s.scratch / "store").string()));
  ui::CacheRequest cr;
  cr.sink = 1;
  cr.prev = 1;
  w.cache_page().set_request(cr);
  w.cache_page().build_cache();
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  ASSERT_NE(s.state().cache(), nullptr);
  EXPECT_EQ(cache_weight_precision(s.state().cache()->meta.key.model_fingerprint), WeightPrecision::F16);
  const int listed = w.cache_page().caches().row_of(s.state().cache_dir());
  ASSERT_GE(listed, 0);
  EXPECT_EQ(w.cache_page().caches().data(w.cache_page().caches().index(listed, ui::CacheListModel::Weights)),
            "f16");
  weights->setCurrentText("native");
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  EXPECT_EQ(s.state().model()->load.precision, WeightPrecision::Native);
  w.query_page().set_select(3);
  w.query_page().run_test_query(0);
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  ASSERT_TRUE(s.state().query().has_value());
  ASSERT_NE(s.state().session(), nullptr);
  EXPECT_EQ(s.state().session()->model().weights().quantized, QuantizedHolding::F16);

  kv->setCurrentText("f16");
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  EXPECT_EQ(s.state().model()->model->kv_type(), KvType::F16);
  EXPECT_NE(field("kv cache").find("f16"), std::string::npos) << field("kv cache");
  EXPECT_EQ(s.state().session(), nullptr);  // a reload ends the query session of the old model

  // A backend that reads F32 caches only refuses before loading; the open model and the boxes stay.
  backend->setCurrentText("cpu-reference");
  const std::string error = wait_jobs(s.state().job());
  EXPECT_NE(error.find("reads F32 caches only"), std::string::npos) << error;
  EXPECT_EQ(s.state().model()->load.backend, "cpu");
  EXPECT_EQ(backend->currentText().toStdString(), "cpu");
  EXPECT_EQ(kv->currentText().toStdString(), "f16");
}

// Two backends besides "cpu" stand in for CUDA (no GPU here): one that runs, one whose device is
// missing. Registered before the window is made, as the studio's main registers CUDA.
void register_test_backends() {
  register_backend("cpu-again", [](int n) { return std::make_shared<CpuBackend>(n); });
  register_backend("no-device", [](int) -> std::shared_ptr<Backend> {
    throw std::runtime_error("no-device backend: no usable device (test)");
  });
}

TEST(ModelPageTest, BackendChoiceReloadsTheModelAndAFailureKeepsTheOpenOne) {
  register_test_backends();
  Studio s("model-backend", Step::Model);
  auto* box = s.window->findChild<QComboBox*>("backendBox");
  ASSERT_NE(box, nullptr);
  std::vector<std::string> listed;
  for (int i = 0; i < box->count(); ++i) listed.push_back(box->itemText(i).toStdString());
  EXPECT_EQ(listed, backend_names());  // every registered backend, "cpu" first
  EXPECT_EQ(listed.front(), "cpu");
  // The two CPU backends say what each is for (what --backend's help says); a test backend has no words.
  for (int i = 0; i < box->count(); ++i)
    EXPECT_EQ(box->itemData(i, Qt::ToolTipRole).toString().toStdString(), backend_summary(listed[i]))
        << listed[i];
  EXPECT_NE(box->itemData(1, Qt::ToolTipRole).toString().indexOf("llama.cpp"), -1);
  EXPECT_NE(box->itemData(0, Qt::ToolTipRole).toString().indexOf("fastest"), -1);
  EXPECT_EQ(s.state().model()->load.backend, "cpu");
  const auto* first = s.state().model()->model.get();

  box->setCurrentText("cpu-again");  // reloads on the chosen backend
  EXPECT_EQ(wait_job(s.state().job()), "");
  ASSERT_TRUE(s.state().model().has_value());
  EXPECT_EQ(s.state().model()->load.backend, "cpu-again");
  EXPECT_NE(s.state().model()->model.get(), first);
  EXPECT_NE(s.window->model_page().info_text().toStdString().find("backend: cpu-again"), std::string::npos);

  box->setCurrentText("no-device");  // fails: the error is shown, the open model and its backend stay
  const std::string error = wait_job(s.state().job());
  EXPECT_NE(error.find("no usable device"), std::string::npos) << error;
  ASSERT_TRUE(s.state().model().has_value());
  EXPECT_EQ(s.state().model()->load.backend, "cpu-again");
  EXPECT_EQ(box->currentText().toStdString(), "cpu-again");
  auto* dialog = s.window->findChild<QMessageBox*>("errorDialog");
  ASSERT_NE(dialog, nullptr);
  EXPECT_EQ(dialog->text().toStdString(), error);

  // While another job runs a reload is refused: the box goes back to where the model runs.
  s.window->model_page().generate("Once upon a time", 4096);
  ASSERT_TRUE(s.state().job().running());
  box->setCurrentText("cpu");
  EXPECT_EQ(box->currentText().toStdString(), "cpu-again");
  s.state().job().cancel();
  wait_job(s.state().job());
  EXPECT_EQ(s.state().model()->load.backend, "cpu-again");
}

// Issue: opening a model while a pool was loaded left the Model page at "40% Open model — ETA 0:00"
// with a Cancel that did nothing: the open job's publish starts the pool's regroup, and the page took
// the open job's end for the regroup's. Each widget now shows the end of the job that ended.
TEST(ModelPageTest, OpeningAModelWithAPoolLoadedEndsItsProgress) {
  Studio s("model-reopen", Step::Pool);
  auto& job = s.state().job();
  QSignalSpy started(&job, &ui::BackgroundJob::started);
  s.window->model_page().open_model(tiny_model());
  for (int i = 0; i < 3 && job.running(); ++i) job.wait(60000);
  ASSERT_FALSE(job.running());
  ASSERT_EQ(started.count(), 2);  // the open, then the regroup its publish started
  EXPECT_EQ(started.at(1).at(0).toString(), "Group pool");
  auto& progress = s.window->model_page().progress();
  EXPECT_EQ(progress.value(), 1000);
  EXPECT_EQ(progress.text().toStdString(), "Open model — done");
  EXPECT_FALSE(progress.cancel_button()->isEnabled());
  auto& pool_progress = s.window->pool_page().progress();
  EXPECT_EQ(pool_progress.text().toStdString(), "Group pool — done");
  EXPECT_FALSE(pool_progress.cancel_button()->isEnabled());
}

// Help > About says what the app is and which instruction set its quantized kernels use here.
TEST(MainWindowTest, HelpAboutNamesTheAppAndItsKernels) {
  need_studio_app();
  ui::MainWindow w;
  auto* about = w.findChild<QAction*>("aboutAction");
  ASSERT_NE(about, nullptr);
  const QString text = ui::MainWindow::about_text();
  EXPECT_TRUE(text.contains("Dynamic Block-Sparse Attention")) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::fromStdString(std::string(isa_name(best_isa()))))) << text.toStdString();
}

// A results database opens on the Runs page (and the Charts page follows it).
TEST(MainWindowTest, OpeningAResultsDatabaseShowsItsRuns) {
  need_studio_app();
  const auto db = write_chart_test_db("open-results");
  ui::MainWindow w;
  w.open_file(QString::fromStdString(db.string()));
  EXPECT_EQ(w.page(), "runs");
  EXPECT_EQ(w.runs_page().db().toStdString(), db.string());
  EXPECT_GT(w.runs_page().runs().rowCount(), 0);
  EXPECT_GT(w.charts_page().redraw(), 0);
}

// The Runs table tells runs apart by preset and context; "Chart selected runs" draws only those runs
// on the Charts page, and the Charts page filters by configuration.
TEST(MainWindowTest, SelectedRunsAndConfigurationsFilterTheCharts) {
  need_studio_app();
  const auto db = write_chart_test_db("chart-selected");
  ui::MainWindow w;
  w.open_file(QString::fromStdString(db.string()));
  auto& runs = w.runs_page().runs();
  ASSERT_GT(runs.rowCount(), 2);
  EXPECT_EQ(runs.data(runs.index(0, ui::RunTableModel::Preset)).toString(), "custom");
  EXPECT_EQ(runs.data(runs.index(0, ui::RunTableModel::Context)).toString(), "300");
  EXPECT_DOUBLE_EQ(
      runs.data(runs.index(2, ui::RunTableModel::Context), ui::RunTableModel::kSortRole).toDouble(), 450.0);

  auto& charts = w.charts_page();
  charts.set_kind("accuracy");
  charts.set_db(QString::fromStdString(db.string()));
  // trec's dbsa runs come from two pool sizes: pooled, and the page says so.
  EXPECT_TRUE(charts.note_text().contains("2 configurations")) << charts.note_text().toStdString();
  EXPECT_TRUE(charts.note_text().contains("configuration box")) << charts.note_text().toStdString();

  // Rows 0 and 1: the two pool-40 dbsa runs on trec (tests/ui/chart_test_db.h).
  auto* table = w.runs_page().findChild<QTableView*>();
  ASSERT_NE(table, nullptr);
  table->selectionModel()->select(w.runs_page().shown_runs().index(0, 0),
                                  QItemSelectionModel::Select | QItemSelectionModel::Rows);
  table->selectionModel()->select(w.runs_page().shown_runs().index(1, 0),
                                  QItemSelectionModel::Select | QItemSelectionModel::Rows);
  EXPECT_EQ(w.runs_page().selected_run_ids(), (std::set<int64_t>{1, 2}));
  w.runs_page().chart_selected();
  EXPECT_EQ(w.page(), "charts");
  EXPECT_TRUE(charts.note_text().contains("1 series")) << charts.note_text().toStdString();
  EXPECT_FALSE(charts.note_text().contains("⚠")) << charts.note_text().toStdString();

  // Back to all runs, then one configuration: no pooling left to warn about.
  charts.set_runs({});
  EXPECT_TRUE(charts.note_text().contains("⚠")) << charts.note_text().toStdString();
  charts.set_config("blocks=8 demos=10 select=3 sink=1 prev=2 grouping=balanced order=in-order test=4");
  EXPECT_TRUE(charts.note_text().contains("1 series")) << charts.note_text().toStdString();
  EXPECT_FALSE(charts.note_text().contains("⚠")) << charts.note_text().toStdString();
  // A filter that keeps nothing says why instead of drawing an empty chart.
  charts.set_config("");
  charts.set_runs({999});
  EXPECT_EQ(charts.redraw(), 0);
  EXPECT_TRUE(charts.note_text().contains("no finished runs of run 999")) << charts.note_text().toStdString();
}

TEST(ModelPageTest, ABadFileIsAnErrorDialogNamingIt) {
  need_studio_app();
  const auto dir = scratch_dir("bad-model");
  const auto bad = dir / "broken.gguf";
  { std::ofstream(bad) << "GGUF but not really"; }
  ui::MainWindow w;
  w.model_page().open_model(QString::fromStdString(bad.string()));
  const std::string error = wait_job(w.state().job());
  EXPECT_NE(error.find("broken.gguf"), std::string::npos) << error;
  EXPECT_FALSE(w.state().model().has_value());
  auto* box = w.findChild<QMessageBox*>("errorDialog");
  ASSERT_NE(box, nullptr);
  EXPECT_EQ(box->text().toStdString(), error);
}

TEST(PoolPageTest, LoadsTrecWithHistogramAndBlockPreview) {
  Studio s("pool-page", Step::Pool);
  auto& page = s.window->pool_page();
  ASSERT_TRUE(s.state().pool().has_value());
  EXPECT_EQ(page.demos().rowCount(), 20);
  EXPECT_EQ(page.histogram().rowCount(), 6);
  int64_t total = 0;
  for (int r = 0; r < page.histogram().rowCount(); ++r) total += page.histogram().count(r);
  EXPECT_EQ(total, 20);
  ASSERT_EQ(page.blocks().rowCount(), 4);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(page.blocks().row(r).demos, 5);
    EXPECT_GT(page.blocks().row(r).tokens, 20);
  }
  EXPECT_EQ(s.state().pool()->tests.size(), 250u);  // the paper's TREC test subset
  // Each grouping says what it does (in-order is not the pool's order block by block).
  QComboBox* grouping = nullptr;
  for (auto* box : page.findChildren<QComboBox*>())
    if (box->findText("bm25-cluster") >= 0) grouping = box;
  ASSERT_NE(grouping, nullptr);
  EXPECT_TRUE(grouping->itemData(grouping->findText("in-order"), Qt::ToolTipRole)
                  .toString()
                  .contains("longest first"));

  ui::PoolRequest r = page.request();
  r.grouping = "balanced";
  page.set_request(r);
  page.regroup();
  EXPECT_EQ(wait_job(s.state().job()), "");
  EXPECT_EQ(s.state().pool()->grouping, "balanced");
  EXPECT_EQ(page.blocks().rowCount(), 4);
  EXPECT_EQ(page.demos().rowCount(), 20);  // the same pool
}

TEST(PoolPageTest, AMissingDataFolderIsReported) {
  Studio s("pool-missing", Step::Model);
  ui::PoolRequest r;
  r.data_dir = QString::fromStdString((s.scratch / "no-data").string());
  s.window->pool_page().set_request(r);
  s.window->pool_page().load_pool();
  const std::string error = wait_job(s.state().job());
  EXPECT_NE(error.find("no-data"), std::string::npos) << error;
}

TEST(CachePageTest, BuildsListsVerifiesAndDeletes) {
  Studio s("cache-page", Step::Cache);
  auto& page = s.window->cache_page();
  ASSERT_FALSE(s.state().cache_dir().empty());
  ASSERT_EQ(page.caches().rowCount(), 1);
  EXPECT_EQ(page.caches().row(0).summary.dir, s.state().cache_dir());
  EXPECT_EQ(page.caches().row(0).summary.n_blocks, 4);
  EXPECT_EQ(page.caches().data(page.caches().index(0, ui::CacheListModel::Layout)).toString(),
            "S=1 P=1, 5/block, in-order, f16");
  EXPECT_EQ(page.progress().value(), 1000);
  page.verify_cache(0);
  EXPECT_EQ(wait_job(s.state().job()), "");
  EXPECT_TRUE(page.verify_text().contains("all 4 blocks intact")) << page.verify_text().toStdString();
  // The cache's own manifest and BM25 index are not strays (they were reported "not in the catalog").
  EXPECT_FALSE(page.verify_text().contains("not in the catalog")) << page.verify_text().toStdString();
  const auto dir = s.state().cache_dir();
  // The store is listed off the GUI thread: the table changes when the listing is back.
  QSignalSpy listed(&page, &ui::CachePage::listed);
  page.delete_cache(0);
  ASSERT_TRUE(listed.count() > 0 || listed.wait(10000));
  EXPECT_EQ(page.caches().rowCount(), 0);
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(s.state().cache_dir().empty());
}

// The studio appends a pool file to a cache as the CLI does (core append_pool_file): new blocks under
// the cache's layout, the cache listed and chosen again; a row whose label the cache lacks is an error
// naming the file and the label, and the cache keeps its blocks.
TEST(CachePageTest, AppendsAPoolFileAsNewBlocks) {
  Studio s("cache-append", Step::Cache);
  auto& page = s.window->cache_page();
  const auto dir = s.state().cache_dir();
  ASSERT_EQ(page.caches().rowCount(), 1);
  const std::vector<std::string> labels = read_manifest(dir).labels;
  ASSERT_FALSE(labels.empty());
  const auto bad = s.scratch / "bad.jsonl";
  {
    std::ofstream f(bad);
    f << "{\"text\": \"What is a quark ?\", \"label\": \"no-such-label\"}\n";
  }
  page.append_to_cache(0, QString::fromStdString(bad.string()));
  const std::string error = wait_job(s.state().job());
  EXPECT_NE(error.find("bad.jsonl"), std::string::npos) << error;
  EXPECT_NE(error.find("no-such-label"), std::string::npos) << error;
  EXPECT_EQ(BlockCache::open(dir, nullptr, VerifyMode::Lazy).n_blocks(), 4);

  const auto good = s.scratch / "more.jsonl";
  {
    std::ofstream f(good);
    const char* texts[] = {"Who invented the telephone ?", "Where is Lima ?", "How far is the moon ?",
                           "What does NASA stand for ?", "When did the war end ?"};
    for (int i = 0; i < 5; ++i)
      f << "{\"text\": \"" << texts[i] << "\", \"label\": \"" << labels[i % labels.size()] << "\"}\n";
  }
  QSignalSpy listed(&page, &ui::CachePage::listed);
  page.append_to_cache(0, QString::fromStdString(good.string()));
  EXPECT_EQ(wait_job(s.state().job()), "");
  ASSERT_TRUE(listed.count() > 0 || listed.wait(10000));
  ASSERT_EQ(page.caches().rowCount(), 1);
  EXPECT_EQ(page.caches().row(0).summary.n_blocks, 5);
  EXPECT_EQ(s.state().cache_dir(), dir);
  EXPECT_EQ(read_manifest(dir).n_demos, 25);
}

// Buttons that start a job are disabled while any job runs, and get their own state back after
// (Generate needs an open model; the Cancel button stays usable).
TEST(StudioJobsTest, JobStartingControlsAreDisabledWhileAJobRuns) {
  Studio s("jobs-disable", Step::Pool);
  auto& w = *s.window;
  const auto button = [&w](const QString& text) -> QPushButton* {
    for (auto* b : w.findChildren<QPushButton*>())
      if (b->text() == text) return b;
    return nullptr;
  };
  const QStringList starters = {
      "Build cache", "Verify",      "Delete…",  "Append demonstrations…",    "Run", "Start", "Load pool",
      "Regroup",     "Open model…", "Generate", "Capture for the last query"};
  for (const QString& t : starters) {
    ASSERT_NE(button(t), nullptr) << t.toStdString();
    EXPECT_TRUE(button(t)->isEnabled()) << t.toStdString();
  }
  w.cache_page().set_store_root(QString::fromStdString((s.scratch / "store").string()));
  w.cache_page().build_cache();
  ASSERT_TRUE(s.state().job().running());
  for (const QString& t : starters) EXPECT_FALSE(button(t)->isEnabled()) << t.toStdString();
  EXPECT_TRUE(w.cache_page().progress().cancel_button()->isEnabled());
  EXPECT_EQ(wait_job(s.state().job()), "");
  for (const QString& t : starters) EXPECT_TRUE(button(t)->isEnabled()) << t.toStdString();
}

// Issue: queries ran on the cache's model, not the open model, and nothing said so; selecting a cache
// row (to verify or delete it) made it the queried cache; deleting it left its results on screen.
TEST(CachePageTest, TheQueriedCacheIsChosenExplicitlyAndItsModelIsShown) {
  Studio s("cache-use", Step::Query);
  auto& w = *s.window;
  auto& page = w.cache_page();
  const auto first = s.state().cache_dir();
  ASSERT_TRUE(s.state().query().has_value());
  EXPECT_TRUE(w.query_page().cache_text().contains("tiny-spm-f32.gguf"))
      << w.query_page().cache_text().toStdString();
  EXPECT_FALSE(w.query_page().cache_text().contains("⚠"));
  EXPECT_TRUE(w.windowTitle().contains("tiny-spm-f32.gguf")) << w.windowTitle().toStdString();
  EXPECT_TRUE(w.windowTitle().contains("cache ")) << w.windowTitle().toStdString();

  // A second cache (another layout) becomes the queried one when built; the old query goes with it.
  ui::CacheRequest cr;
  cr.sink = 0;
  cr.prev = 2;
  page.set_request(cr);
  page.build_cache();
  ASSERT_EQ(wait_job(s.state().job()), "");
  ASSERT_EQ(page.caches().rowCount(), 2);
  const auto second = s.state().cache_dir();
  EXPECT_NE(second, first);
  EXPECT_FALSE(s.state().query().has_value());
  EXPECT_EQ(w.attention_page().map_rows(), 0);

  // Selecting the first cache's row does not change the queried cache; "Use for queries" does.
  const int row_first = page.caches().row_of(first);
  ASSERT_GE(row_first, 0);
  auto* table = page.findChild<QTableView*>();
  ASSERT_NE(table, nullptr);
  table->selectRow(row_first);
  EXPECT_EQ(s.state().cache_dir(), second);
  page.use_cache(row_first);
  EXPECT_EQ(s.state().cache_dir(), first);

  // Another model file open: the page says the queries run on the cache's model, not that one.
  w.model_page().open_model(QString::fromStdString(fixture("models/tiny-spm-f16.gguf").string()));
  for (int i = 0; i < 3 && s.state().job().running(); ++i) s.state().job().wait(60000);
  EXPECT_TRUE(w.query_page().cache_text().contains("⚠ not the open model"))
      << w.query_page().cache_text().toStdString();
  EXPECT_TRUE(w.query_page().cache_text().contains("tiny-spm-f32.gguf"));
  EXPECT_TRUE(w.windowTitle().contains("tiny-spm-f16.gguf")) << w.windowTitle().toStdString();

  // Deleting the queried cache leaves no results of it on screen.
  w.query_page().run_test_query(0);
  ASSERT_EQ(wait_job(s.state().job()), "");
  ASSERT_TRUE(s.state().query().has_value());
  QSignalSpy listed(&page, &ui::CachePage::listed);
  page.delete_cache(page.caches().row_of(first));
  ASSERT_EQ(wait_job(s.state().job()), "");
  ASSERT_TRUE(listed.count() > 0 || listed.wait(10000));
  EXPECT_TRUE(s.state().cache_dir().empty());
  EXPECT_FALSE(s.state().query().has_value());
  EXPECT_EQ(w.attention_page().map_rows(), 0);
  EXPECT_EQ(w.query_page().selected().rowCount(), 0);
  EXPECT_TRUE(w.query_page().result_text().trimmed().isEmpty()) << w.query_page().result_text().toStdString();
}

// Listing another store keeps the queried cache; a cache deleted behind the studio's back is unchosen.
TEST(CachePageTest, TheQueriedCacheStaysUnlessItIsDeleted) {
  Studio s("cache-relist", Step::Cache);
  auto& page = s.window->cache_page();
  const auto dir = s.state().cache_dir();
  ASSERT_FALSE(dir.empty());
  QSignalSpy listed(&page, &ui::CachePage::listed);
  page.set_store_root(QString::fromStdString((s.scratch / "other-store").string()));
  ASSERT_TRUE(listed.wait(10000));
  EXPECT_EQ(page.caches().rowCount(), 0);
  EXPECT_EQ(s.state().cache_dir(), dir);
  page.set_store_root(QString::fromStdString((s.scratch / "store").string()));
  ASSERT_TRUE(listed.wait(10000));
  std::filesystem::remove_all(dir);
  page.refresh();
  ASSERT_TRUE(listed.wait(10000));
  EXPECT_TRUE(s.state().cache_dir().empty());
}

TEST(CachePageTest, CancelLeavesNoPartialCacheAndTheUiResponsive) {
  Studio s("cache-cancel", Step::Pool);
  auto& page = s.window->cache_page();
  auto& job = s.state().job();
  const auto root = s.scratch / "store";
  page.set_store_root(QString::fromStdString(root.string()));
  ui::CacheRequest r;
  r.chunk = 16;  // many progress points, so the cancel lands mid-build
  page.set_request(r);
  QSignalSpy cancelled(&job, &ui::BackgroundJob::cancelled);
  // The event loop keeps turning while the worker encodes: a timer armed now fires during the build.
  int ticks = 0;
  QTimer timer;
  QObject::connect(&timer, &QTimer::timeout, [&ticks] { ++ticks; });
  timer.start(0);
  const auto t0 = std::chrono::steady_clock::now();
  page.build_cache();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));  // returned at once
  ASSERT_TRUE(job.running());
  page.progress().cancel_button()->click();
  EXPECT_EQ(wait_job(job), "");
  EXPECT_EQ(cancelled.count(), 1);
  EXPECT_GT(ticks, 0);
  EXPECT_TRUE(s.state().cache_dir().empty());
  EXPECT_EQ(page.caches().rowCount(), 0);
  if (std::filesystem::exists(root))
    for (const auto& e : std::filesystem::directory_iterator(root))
      ADD_FAILURE() << "left behind: " << e.path();
}

TEST(QueryPageTest, TheRetrievalTableShowsTheSelectedBlocks) {
  Studio s("query-page", Step::Query);
  auto& page = s.window->query_page();
  ASSERT_TRUE(s.state().query().has_value());
  const auto& q = *s.state().query();
  EXPECT_FALSE(q.gold.empty());
  ASSERT_EQ(page.selected().rowCount(), 3);
  EXPECT_EQ(page.selected().block(0).block, 0);  // the sink first
  EXPECT_TRUE(page.selected().block(0).forced);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(page.selected().block(r).block, q.prediction.blocks[size_t(r)].block);
    EXPECT_GT(page.selected().block(r).n_tokens, 0);
  }
  EXPECT_EQ(page.demos().rowCount(), 15);  // 3 blocks × 5 demonstrations
  for (int r = 0; r < 15; ++r)
    EXPECT_FALSE(page.demos().data(page.demos().index(r, ui::RetrievedDemoModel::Text)).toString().isEmpty());
  const std::string text = page.result_text().toStdString();
  EXPECT_NE(text.find("gold " + q.gold), std::string::npos) << text;
  EXPECT_NE(text.find(q.prediction.label), std::string::npos) << text;
  EXPECT_NE(text.find("retrieval "), std::string::npos) << text;
}

// An empty (or blank) query is refused with a clear error, and the last query's results stay.
TEST(QueryPageTest, AnEmptyQueryIsRefused) {
  Studio s("query-empty", Step::Query);
  const std::string before = s.state().query()->text;
  for (const QString& text : {QString(), QStringLiteral("   \t ")}) {
    s.window->query_page().run_query(text);
    const std::string error = wait_job(s.state().job());
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
    ASSERT_TRUE(s.state().query().has_value());
    EXPECT_EQ(s.state().query()->text, before);
  }
}

// Re-running a picked test query (Run, or Enter in the text box) keeps its gold label and the ✓/✗.
TEST(QueryPageTest, ARerunTestQueryKeepsItsGold) {
  Studio s("query-gold", Step::Query);
  const std::string gold = s.state().query()->gold;
  ASSERT_FALSE(gold.empty());
  auto* run = [&]() -> QPushButton* {
    for (auto* b : s.window->query_page().findChildren<QPushButton*>())
      if (b->text() == "Run") return b;
    return nullptr;
  }();
  ASSERT_NE(run, nullptr);
  run->click();
  ASSERT_EQ(wait_job(s.state().job()), "");
  EXPECT_EQ(s.state().query()->gold, gold);
  EXPECT_TRUE(s.window->query_page().result_text().contains("gold"))
      << s.window->query_page().result_text().toStdString();
}

// stories260K was trained on 512 positions. A query over all four blocks needs more: refused under the
// file's context length, naming the Model page's setting; run once the limit is raised there, with the
// extrapolation said beside the timings.
TEST(QueryPageTest, PastTheTrainedContextIsRefusedUntilTheLimitIsRaisedThenWarned) {
  Studio s("query-context", Step::Cache,
           QString::fromStdString(fixture("models/stories260K-f32.gguf").string()));
  auto& page = s.window->query_page();
  page.set_select(4);
  page.run_test_query(0);
  const std::string refused = wait_job(s.state().job());
  EXPECT_NE(refused.find("more than the context of 512 tokens"), std::string::npos) << refused;
  EXPECT_NE(refused.find("the Model page's context limit sets another"), std::string::npos) << refused;
  EXPECT_FALSE(s.state().query().has_value());

  // Reopening the model starts the open job, and its publish the pool's regroup: wait for both.
  const auto settle = [&s] {
    auto& job = s.state().job();
    QSignalSpy failed(&job, &ui::BackgroundJob::failed);
    for (int i = 0; i < 3 && job.running(); ++i) job.wait(60000);
    return job.running()      ? std::string("still running")
           : failed.isEmpty() ? std::string()
                              : failed.at(0).at(0).toString().toStdString();
  };
  s.window->model_page().set_context_limit(4096);
  ASSERT_EQ(settle(), "");
  ASSERT_TRUE(s.state().model().has_value());
  EXPECT_EQ(s.state().model()->load.max_context, 4096);
  EXPECT_EQ(s.state().model()->model->context_limit().tokens, 4096);
  EXPECT_TRUE(s.window->model_page().info_text().contains("limit 4096 tokens"))
      << s.window->model_page().info_text().toStdString();
  page.run_test_query(0);
  ASSERT_EQ(wait_job(s.state().job()), "");
  ASSERT_TRUE(s.state().query().has_value());
  const auto& p = s.state().query()->prediction;
  const int64_t used = p.context_tokens + p.query_tokens;
  ASSERT_GT(used, 512);
  EXPECT_TRUE(page.result_text().contains(
      QStringLiteral("⚠ %1 tokens is more than the 512 the model was trained on").arg(used)))
      << page.result_text().toStdString();

  // Back to the file's length: the next query is refused again.
  s.window->model_page().set_context_limit(0);
  ASSERT_EQ(settle(), "");
  EXPECT_EQ(s.state().model()->model->context_limit().tokens, 512);
  page.run_test_query(0);
  EXPECT_NE(wait_job(s.state().job()).find("more than the context of 512 tokens"), std::string::npos);
}

TEST(QueryPageTest, DenseRetrievalScoresTheBlocksWithTheModel) {
  Studio s("query-dense", Step::Query);
  auto& page = s.window->query_page();
  const auto bm25_session = s.state().session();
  page.set_retriever("dense");
  page.run_query("Who wrote Hamlet ?");
  EXPECT_EQ(wait_job(s.state().job()), "");
  ASSERT_NE(s.state().session(), bm25_session);  // a new session with the dense retriever
  EXPECT_EQ(s.state().session()->retriever_name(), "dense");
  EXPECT_EQ(page.selected().headerData(ui::SelectedBlockModel::Score, Qt::Horizontal).toString(),
            "dense score");
  ASSERT_EQ(page.selected().rowCount(), 3);
  EXPECT_TRUE(s.state().query()->gold.empty());  // a typed query has no gold label
  bool scored = false;
  for (int r = 1; r < 3; ++r) scored = scored || page.selected().block(r).score != 0.0;
  EXPECT_TRUE(scored);
}

TEST(AttentionPageTest, BlockLayoutAndANonEmptyAttentionMap) {
  Studio s("attention-page", Step::Query);
  auto& page = s.window->attention_page();
  using L = BlockLink;
  ASSERT_EQ(page.layout_blocks(), 4);
  // S=1, P=1: block 3 sees the sink, block 2 and itself; nothing above the diagonal.
  EXPECT_EQ(page.layout_cell(0, 0), L::Self);
  EXPECT_EQ(page.layout_cell(3, 0), L::Sink);
  EXPECT_EQ(page.layout_cell(3, 1), L::None);
  EXPECT_EQ(page.layout_cell(3, 2), L::Previous);
  EXPECT_EQ(page.layout_cell(3, 3), L::Self);
  EXPECT_EQ(page.layout_cell(1, 2), L::None);

  const auto& q = *s.state().query();
  ASSERT_GT(page.map_nonzero(), 0);
  EXPECT_EQ(page.map_rows(), static_cast<int>(q.query_tokens.size()));
  EXPECT_EQ(page.map_columns(), static_cast<int>(q.context_tokens.size() + q.query_tokens.size()));
  // Softmax rows: every query token's weights sum to one over the keys it sees.
  for (const auto& row : q.capture.weights) {
    double sum = 0;
    for (float w : row) sum += w;
    EXPECT_NEAR(sum, 1.0, 1e-3);
  }
  EXPECT_TRUE(page.hover_text(0, 0).contains("block 0")) << page.hover_text(0, 0).toStdString();
  EXPECT_TRUE(page.hover_text(-1, 0).isEmpty());
  // The mass per selected block: one share per block, which with the query's own share sums to one.
  ASSERT_EQ(page.mass_per_block().size(), q.prediction.blocks.size());
  double mass = 0;
  for (double m : page.mass_per_block()) mass += m;
  EXPECT_GT(mass, 0.0);
  EXPECT_LE(mass, 1.0 + 1e-6);
  EXPECT_TRUE(page.mass_text().contains("block 0 (sink)")) << page.mass_text().toStdString();
  EXPECT_TRUE(page.mass_text().contains("the query itself")) << page.mass_text().toStdString();

  const auto first_weights = q.capture.weights;  // `q` is replaced by the next query
  page.set_head(1, 3);  // asks the Query page to run the query again with another head
  EXPECT_EQ(wait_job(s.state().job()), "");
  EXPECT_EQ(s.state().query()->capture.layer, 1);
  EXPECT_EQ(s.state().query()->capture.head, 3);
  EXPECT_NE(s.state().query()->capture.weights, first_weights);
}

// Issue: the page showed the previous query's heatmap (and a 4-block layout for a 16-block cache) after
// a query run while it was hidden, until a wheel tick redrew it. Every plot is now drawn from the
// state it shows when the page is shown again, with the caption's dimensions; a new layer or head in
// the spin boxes captures and plots again at once.
TEST(AttentionPageTest, PlotsFollowEveryNewQueryEvenWhileHidden) {
  Studio s("attention-stale", Step::Query);
  auto& w = *s.window;
  auto& page = w.attention_page();
  w.resize(1024, 700);
  w.show();
  ASSERT_TRUE(w.set_page("attention"));
  QCoreApplication::processEvents();
  EXPECT_TRUE(page.plots_current());
  const int first_rows = page.map_rows();
  EXPECT_EQ(page.plotted_map(), QSize(page.map_columns(), page.map_rows()));
  EXPECT_EQ(page.plotted_layout(), page.layout_blocks());

  // Away on the Query page, a test query of another length.
  ASSERT_TRUE(w.set_page("query"));
  QCoreApplication::processEvents();
  for (int i = 1; i < 20 && s.state().query()->query_tokens.size() == static_cast<size_t>(first_rows); ++i) {
    w.query_page().run_test_query(i);
    ASSERT_EQ(wait_job(s.state().job()), "");
  }
  const auto& q = *s.state().query();
  ASSERT_NE(q.query_tokens.size(), static_cast<size_t>(first_rows));
  const QSize expected(static_cast<int>(q.context_tokens.size() + q.query_tokens.size()),
                       static_cast<int>(q.query_tokens.size()));
  ASSERT_TRUE(w.set_page("attention"));
  QCoreApplication::processEvents();
  EXPECT_TRUE(page.plots_current());
  EXPECT_EQ(page.plotted_map(), expected);
  EXPECT_TRUE(page.caption().contains(QStringLiteral("%1 query tokens").arg(expected.height())))
      << page.caption().toStdString();
  EXPECT_TRUE(page.caption().contains(QStringLiteral("(%1 context tokens)").arg(q.context_tokens.size())))
      << page.caption().toStdString();

  QSpinBox* layer = nullptr;
  for (auto* box : page.findChildren<QSpinBox*>())
    if (box->prefix().startsWith("layer")) layer = box;
  ASSERT_NE(layer, nullptr);
  layer->setValue(1);
  ASSERT_EQ(wait_job(s.state().job()), "");
  QCoreApplication::processEvents();
  EXPECT_EQ(s.state().query()->capture.layer, 1);
  EXPECT_EQ(layer->value(), 1);
  EXPECT_TRUE(page.plots_current());
  EXPECT_TRUE(page.caption().startsWith("Layer 1,")) << page.caption().toStdString();
}

// The dark palette reaches the on-screen plots (they stayed white), and the light one brings them back.
// The block detail pane: after a query it shows the block that drew the most attention; a block is
// described by its place in the query's context, its pattern and its demonstrations; a block the
// query did not select says so; another cache clears it.
TEST(AttentionPageTest, BlockDetailPaneDescribesTheChosenBlock) {
  Studio s("attention-detail", Step::Query);
  auto& page = s.window->attention_page();
  const auto& q = *s.state().query();
  ASSERT_FALSE(q.prediction.blocks.empty());
  const auto& mass = page.mass_per_block();
  ASSERT_EQ(mass.size(), q.prediction.blocks.size());
  const size_t most = static_cast<size_t>(std::max_element(mass.begin(), mass.end()) - mass.begin());
  EXPECT_EQ(page.detail_block(), q.prediction.blocks[most].block);

  const SelectedBlock& chosen = q.prediction.blocks.back();
  page.show_block(chosen.block);
  const QString text = page.block_detail_text();
  const BlockRecord& record = s.state().session()->cache().block(chosen.block);
  EXPECT_TRUE(text.startsWith(QStringLiteral("Block %1 — %2 of %3 blocks")
                                  .arg(chosen.block)
                                  .arg(q.prediction.blocks.size())
                                  .arg(q.prediction.blocks.size())))
      << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("%1 tokens").arg(chosen.n_tokens))) << text.toStdString();
  EXPECT_TRUE(text.contains("attention mass")) << text.toStdString();
  EXPECT_TRUE(text.contains("Pre-encoded seeing:")) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("%1 demonstrations").arg(record.demo_ids.size())))
      << text.toStdString();
  // The block's own text, as the model read it.
  EXPECT_TRUE(text.contains(QString::fromStdString(record.text).left(40))) << text.toStdString();

  int unselected = -1;
  for (int b = 0; b < page.layout_blocks() && unselected < 0; ++b)
    if (std::none_of(q.prediction.blocks.begin(), q.prediction.blocks.end(),
                     [b](const SelectedBlock& x) { return x.block == b; }))
      unselected = b;
  if (unselected >= 0) {
    page.show_block(unselected);
    EXPECT_TRUE(page.block_detail_text().contains("not among the blocks the last query selected"))
        << page.block_detail_text().toStdString();
  }
  page.show_block(page.layout_blocks());  // out of range: nothing shown
  EXPECT_EQ(page.detail_block(), -1);
  EXPECT_TRUE(page.block_detail_text().isEmpty());
}

TEST(AttentionPageTest, PlotsFollowTheDarkPalette) {
  need_studio_app();
  ui::MainWindow w;
  auto& page = w.attention_page();
  w.set_dark(true);
  QCoreApplication::processEvents();
  EXPECT_LT(page.plot_background().lightness(), 80) << page.plot_background().name().toStdString();
  w.set_dark(false);
  QCoreApplication::processEvents();
  EXPECT_GT(page.plot_background().lightness(), 180) << page.plot_background().name().toStdString();
}

// The Charts page's figure follows the dark palette on screen, while an export stays what `dbsa chart`
// writes: on white.
TEST(ChartsPageTest, FigureFollowsTheDarkPaletteButExportsStayWhite) {
  need_studio_app();
  const auto db = write_chart_test_db("charts-dark");
  ui::MainWindow w;
  auto& page = w.charts_page();
  page.set_db(QString::fromStdString(db.string()));
  ASSERT_GT(page.redraw(), 0);
  w.set_dark(true);
  QCoreApplication::processEvents();
  EXPECT_LT(page.plot_background().lightness(), 80) << page.plot_background().name().toStdString();
  ASSERT_GT(page.redraw(), 0);  // a chart drawn while dark is dark too
  EXPECT_LT(page.plot_background().lightness(), 80) << page.plot_background().name().toStdString();
  const QString file = QString::fromStdString((db.parent_path() / "dark.png").string());
  page.export_to(file, 400, 300);
  const QImage img(file);
  ASSERT_FALSE(img.isNull());
  EXPECT_EQ(img.pixelColor(0, 0), QColor(Qt::white));
  w.set_dark(false);
  QCoreApplication::processEvents();
  EXPECT_GT(page.plot_background().lightness(), 180) << page.plot_background().name().toStdString();
}

// An evaluation of 2 blocks of 4 demos, 2 selected, on the first `test` test queries.
ui::RunRequest small_run(const char* methods, int test) {
  ui::RunRequest r;
  r.methods = methods;
  r.blocks = 2;
  r.block_demos = 4;
  r.select = 2;
  r.test = test;
  return r;
}

TEST(RunsPageTest, RunsAnEvaluationIntoTheResultsDatabase) {
  Studio s("runs-page", Step::Pool);
  auto& page = s.window->runs_page();
  const auto db = s.scratch / "results.sqlite";
  page.set_db(QString::fromStdString(db.string()));
  page.set_request(small_run("dbsa,zero-shot", 3));
  page.start_eval();
  EXPECT_EQ(wait_job(s.state().job(), 120000), "");
  ASSERT_EQ(page.runs().rowCount(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(page.runs().row(i).record.status, RunStatus::Finished);
    ASSERT_TRUE(page.runs().row(i).aggregates.has_value());
    EXPECT_EQ(page.runs().row(i).aggregates->n, 3);
  }
  EXPECT_TRUE(page.summary_text().contains("2 runs")) << page.summary_text().toStdString();
  // The table names each run's model and sorts by any column, numbers by value.
  EXPECT_EQ(page.runs().data(page.runs().index(0, ui::RunTableModel::Model)).toString().toStdString(),
            "tiny-spm-f32.gguf");
  auto* table = page.findChild<QTableView*>();
  ASSERT_NE(table, nullptr);
  auto& shown = page.shown_runs();
  for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
    table->sortByColumn(ui::RunTableModel::Accuracy, order);
    const double first =
        shown.data(shown.index(0, ui::RunTableModel::Accuracy), ui::RunTableModel::kSortRole).toDouble();
    const double second =
        shown.data(shown.index(1, ui::RunTableModel::Accuracy), ui::RunTableModel::kSortRole).toDouble();
    EXPECT_TRUE(order == Qt::AscendingOrder ? first <= second : first >= second) << first << " " << second;
  }
  // Drill-down: a run's predictions, one row per query, with gold and predicted labels.
  ui::RunDetailDialog* detail = page.open_run(0);
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->predictions().rowCount(), 3);
  const auto& p0 = detail->predictions().row(0);
  EXPECT_EQ(detail->predictions()
                .data(detail->predictions().index(0, ui::PredictionTableModel::Gold))
                .toString()
                .toStdString(),
            p0.gold);
  EXPECT_TRUE(detail->summary_text().contains("of 3 queries correct"))
      << detail->summary_text().toStdString();
  detail->close();
}

// An evaluation started on the Runs page runs the model as the Model page loaded it (before, always on
// cpu with the weights in their blocks, whatever the page said), and the run records it.
TEST(RunsPageTest, AnEvaluationRunsTheModelAsTheModelPageLoadedIt) {
  Studio s("runs-load", Step::Pool, QString::fromStdString(fixture("models/tiny-spm-q8_0.gguf").string()));
  s.window->findChild<QComboBox*>("weightsBox")->setCurrentText("f32");
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  s.window->findChild<QComboBox*>("kvCacheBox")->setCurrentText("f16");
  ASSERT_EQ(wait_jobs(s.state().job()), "");
  auto& page = s.window->runs_page();
  page.set_db(QString::fromStdString((s.scratch / "results.sqlite").string()));
  page.set_request(small_run("zero-shot", 2));
  page.start_eval();
  EXPECT_EQ(wait_job(s.state().job(), 120000), "");
  ASSERT_EQ(page.runs().rowCount(), 1);
  const std::string params = page.runs().row(0).record.info.params_json;
  EXPECT_NE(params.find("\"weights\":\"f32\""), std::string::npos) << params;
  EXPECT_NE(params.find("\"kv_cache\":\"f16\""), std::string::npos) << params;
  EXPECT_NE(params.find("\"backend\":\"cpu\""), std::string::npos) << params;
}

// Issue: a cancelled evaluation showed "100% Evaluate — done" (only the log said "interrupted"). It now
// ends as cancelled, with the runs it finished listed and the summary saying it was interrupted.
TEST(RunsPageTest, ACancelledEvaluationSaysSo) {
  Studio s("runs-cancel", Step::Pool);
  auto& page = s.window->runs_page();
  auto& job = s.state().job();
  page.set_db(QString::fromStdString((s.scratch / "results.sqlite").string()));
  ui::RunRequest r;
  r.methods = "zero-shot,dbsa";
  r.blocks = 2;
  r.block_demos = 4;
  r.select = 2;
  r.test = 0;  // every test query: long enough for the cancel to land mid-run
  page.set_request(r);
  QSignalSpy cancelled(&job, &ui::BackgroundJob::cancelled), finished(&job, &ui::BackgroundJob::finished);
  QSignalSpy progressed(&job, &ui::BackgroundJob::progressed);
  page.start_eval();
  ASSERT_TRUE(progressed.wait(60000));  // the evaluation is under way
  page.progress().cancel_button()->click();
  // Said at once, while the work reaches its next check; the button cannot be pressed twice.
  EXPECT_EQ(page.progress().text().toStdString(), "Evaluate — cancelling…");
  EXPECT_FALSE(page.progress().cancel_button()->isEnabled());
  // The status bar's widget says the same (the page and status bar showed different states).
  int showing = 0;
  for (auto* w : s.window->findChildren<ui::JobProgressWidget*>())
    if (w->text().startsWith("Evaluate")) {
      ++showing;
      EXPECT_EQ(w->text().toStdString(), "Evaluate — cancelling…");
      EXPECT_FALSE(w->cancel_button()->isEnabled());
    }
  EXPECT_EQ(showing, 2);
  EXPECT_EQ(wait_job(job, 120000), "");
  EXPECT_EQ(cancelled.count(), 1);
  EXPECT_EQ(finished.count(), 0);
  EXPECT_EQ(page.progress().text().toStdString(), "Evaluate — cancelled");
  EXPECT_LT(page.progress().value(), 1000);
  EXPECT_TRUE(page.summary_text().contains("interrupted")) << page.summary_text().toStdString();
}

// Issue: exporting shrank the on-screen chart to the export size until the window was resized, and
// nothing said where the file went.
// The Runs page starts from the Pool page's blocks and the Cache page's store; methods are ticked, not
// typed; a knob edited by hand drops the preset's name.
TEST(RunsPageTest, DefaultsFollowThePoolAndCachePagesAndPresetsLetGo) {
  Studio s("runs-defaults", Step::Pool);
  auto& page = s.window->runs_page();
  EXPECT_TRUE(page.defaults_text().contains("4 blocks of 5")) << page.defaults_text().toStdString();
  s.window->cache_page().set_store_root(QString::fromStdString((s.scratch / "store").string()));
  EXPECT_TRUE(page.defaults_text().contains("store")) << page.defaults_text().toStdString();
  ui::RunRequest r;
  r.methods = "dbsa,zero-shot";
  page.set_request(r);
  EXPECT_EQ(page.methods_text().toStdString(), "dbsa,zero-shot");

  QComboBox* preset = nullptr;
  for (auto* box : page.findChildren<QComboBox*>())
    if (box->itemText(0) == "custom") preset = box;
  ASSERT_NE(preset, nullptr);
  ASSERT_GT(preset->count(), 1);
  preset->setCurrentIndex(1);
  page.apply_preset(preset->itemText(1));
  EXPECT_EQ(preset->currentIndex(), 1);  // applying it does not reset it
  QSpinBox* select = nullptr;
  for (auto* box : page.findChildren<QSpinBox*>())
    if (box->prefix() == "select ") select = box;
  ASSERT_NE(select, nullptr);
  select->setValue(select->value() + 1);
  EXPECT_EQ(preset->currentIndex(), 0);  // edited by hand: custom

  r.methods = "";
  page.set_request(r);
  page.set_db(QString::fromStdString((s.scratch / "r.sqlite").string()));
  page.start_eval();
  EXPECT_FALSE(s.state().job().running());
  auto* box = page.findChild<QMessageBox*>("errorDialog");
  ASSERT_NE(box, nullptr);
  EXPECT_TRUE(box->text().contains("Tick at least one method")) << box->text().toStdString();
}

TEST(ChartsPageTest, ExportKeepsTheOnScreenChartAndSaysWhereTheFileWent) {
  need_studio_app();
  const auto db = write_chart_test_db("charts-export");
  ui::ChartsPage page;
  page.set_db(QString::fromStdString(db.string()));
  ASSERT_GT(page.redraw(), 0);
  page.resize(1000, 700);
  page.layout()->activate();  // the chart gets its share of the page, as on screen
  const QSize before = page.plot_size();
  ASSERT_GT(before.width(), 640);
  const QString file = QString::fromStdString((db.parent_path() / "small.png").string());
  page.export_to(file, 320, 200);
  QCoreApplication::processEvents();
  EXPECT_EQ(page.plot_size(), before);
  EXPECT_EQ(QImage(file).size(), QSize(320, 200));
  EXPECT_TRUE(page.export_text().contains("small.png")) << page.export_text().toStdString();
  EXPECT_TRUE(page.export_text().contains("320×200")) << page.export_text().toStdString();
}

TEST(ChartsPageTest, DrawsAndExportsPngPdfSvg) {
  need_studio_app();
  const auto db = write_chart_test_db("charts-page");
  ui::ChartsPage page;
  page.set_db(QString::fromStdString(db.string()));
  page.set_kind("latency-query");
  page.set_kind("accuracy");
  EXPECT_EQ(page.redraw(), 3);  // dbsa, full-icl, zero-shot
  const QString dir = QString::fromStdString(db.parent_path().string());
  page.export_to(dir + "/a.png", 640, 400);
  QImage img(dir + "/a.png");
  ASSERT_FALSE(img.isNull());
  EXPECT_EQ(img.size(), QSize(640, 400));
  page.export_to(dir + "/a.pdf", 640, 400);
  EXPECT_EQ(head_bytes(dir + "/a.pdf", 5), "%PDF-");
  page.export_to(dir + "/a.svg", 640, 400);
  QFile svg(dir + "/a.svg");
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&svg);
  ASSERT_TRUE(xml.readNextStartElement());
  EXPECT_EQ(xml.name().toString(), "svg");
  EXPECT_THROW(page.export_to(dir + "/a.gif", 640, 400), std::exception);

  page.set_db(dir + "/absent.sqlite");
  EXPECT_EQ(page.redraw(), 0);
}

TEST(MainWindowTest, PagesShortcutsAndPalettes) {
  need_studio_app();
  ui::MainWindow w;
  for (const QString& name : ui::MainWindow::page_names()) {
    EXPECT_TRUE(w.set_page(name));
    EXPECT_EQ(w.page(), name);
  }
  EXPECT_FALSE(w.set_page("nope"));
  // Every sidebar icon reads as light on the dark palette, like its text: Fusion's icons are drawn for a
  // light background (the Cache page's grey drive was the faintest of them on the dark one).
  const auto mean_lightness = [](const QImage& image) {
    const QImage icon = image.convertToFormat(QImage::Format_ARGB32);
    double sum = 0;
    int drawn = 0;
    for (int y = 0; y < icon.height(); ++y)
      for (int x = 0; x < icon.width(); ++x)
        if (const QColor c = icon.pixelColor(x, y); c.alpha() >= 128) {
          sum += c.lightness();
          ++drawn;
        }
    return drawn > 20 ? sum / drawn : 0.0;
  };
  w.set_dark(true);
  EXPECT_LT(QApplication::palette().color(QPalette::Window).lightness(), 80);
  for (int row = 0; row < static_cast<int>(ui::MainWindow::page_names().size()); ++row)
    EXPECT_GE(mean_lightness(w.sidebar_icon(row)), 140.0) << "row " << row;
  w.set_dark(false);
  EXPECT_GT(QApplication::palette().color(QPalette::Window).lightness(), 160);
}

TEST(MainWindowTest, SettingsPersistAcrossSessions) {
  need_studio_app();  // QStandardPaths test mode: the settings file is a test one, not the user's
  const QString root = QString::fromStdString((scratch_dir("settings") / "store").string());
  {
    ui::MainWindow w;
    w.set_dark(true);
    w.set_page("charts");
    w.cache_page().set_store_root(root);
    w.close();  // saves
  }
  ui::MainWindow again;
  EXPECT_EQ(again.page(), "charts");
  EXPECT_EQ(QString::fromStdString(again.state().store_root().string()), root);
  EXPECT_LT(QApplication::palette().color(QPalette::Window).lightness(), 80);
  again.set_dark(false);
  again.close();
}

}  // namespace
}  // namespace dbsa::test
