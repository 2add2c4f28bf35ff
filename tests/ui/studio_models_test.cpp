// The studio's item models, each wrapped in QAbstractItemModelTester (which fails on any breach of the
// model contract), over real data: a TREC pool, a cache built by the core from the fixture model, the
// chart test database.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QThread>
#include <fstream>
#include <map>

#include "chart_test_db.h"
#include "engine/llama_model.h"
#include "icl/block_text.h"
#include "method/pool_encoding.h"
#include "studio_test_support.h"
#include "ui/models/block_table_model.h"
#include "ui/models/cache_list_model.h"
#include "ui/models/demo_table_model.h"
#include "ui/models/label_histogram_model.h"
#include "ui/models/retrieved_demo_model.h"
#include "ui/models/run_table_model.h"
#include "ui/models/selected_block_model.h"

namespace dbsa::test {
namespace {

using Tester = QAbstractItemModelTester;

LoadedPool trec_pool(int64_t n) {
  PoolSource src;
  src.dataset = "trec";
  src.data_dir = data("");
  src.pool_size = n;
  src.seed = 3;
  return load_pool_source(src);
}

QString cell(const QAbstractItemModel& m, int row, int col, int role = Qt::DisplayRole) {
  return m.data(m.index(row, col), role).toString();
}

TEST(DemoTableModelTest, OneRowPerDemonstrationInPoolOrder) {
  need_studio_app();
  auto pool = std::make_shared<LoadedPool>(trec_pool(20));
  ui::DemoTableModel m;
  Tester tester(&m, Tester::FailureReportingMode::Fatal);
  EXPECT_EQ(m.rowCount(), 0);
  m.set_pool(pool);
  ASSERT_EQ(m.rowCount(), 20);
  EXPECT_EQ(m.columnCount(), 3);
  for (int r = 0; r < 20; ++r) {
    EXPECT_EQ(cell(m, r, ui::DemoTableModel::Label).toStdString(), pool->demos[size_t(r)].label);
    EXPECT_EQ(cell(m, r, ui::DemoTableModel::Text).toStdString(), pool->demos[size_t(r)].text);
  }
  m.set_pool(nullptr);
  EXPECT_EQ(m.rowCount(), 0);
}

TEST(LabelHistogramModelTest, CountsEveryLabelOfTheSet) {
  need_studio_app();
  const LoadedPool pool = trec_pool(60);
  ui::LabelHistogramModel m;
  Tester tester(&m, Tester::FailureReportingMode::Fatal);
  m.set_pool(&pool);
  ASSERT_EQ(m.rowCount(), static_cast<int>(pool.labels.size()));  // TREC: 6 coarse labels
  EXPECT_EQ(m.rowCount(), 6);
  std::map<std::string, int64_t> expected;
  for (const auto& e : pool.demos) ++expected[e.label];
  int64_t total = 0;
  double shares = 0;
  for (int r = 0; r < m.rowCount(); ++r) {
    const std::string label = cell(m, r, ui::LabelHistogramModel::Label).toStdString();
    EXPECT_EQ(label, pool.labels[size_t(r)]);
    EXPECT_EQ(m.count(r), expected[label]) << label;
    total += m.count(r);
    shares += m.data(m.index(r, ui::LabelHistogramModel::Share), Qt::UserRole).toDouble();
  }
  EXPECT_EQ(total, 60);
  EXPECT_NEAR(shares, 1.0, 1e-9);
}

TEST(BlockTableModelTest, RowsFollowTheGrouping) {
  need_studio_app();
  const LoadedPool pool = trec_pool(20);
  Blocks blocks = {{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}};
  const auto texts = block_texts(pool.demos, blocks, pool.prompt);
  ui::BlockTableModel m;
  Tester tester(&m, Tester::FailureReportingMode::Fatal);
  m.set_blocks(&pool, blocks, texts, {11, 12, 13, 14});
  ASSERT_EQ(m.rowCount(), 4);
  EXPECT_EQ(cell(m, 0, ui::BlockTableModel::Block), "0 (sink)");
  EXPECT_EQ(cell(m, 2, ui::BlockTableModel::Tokens), "13");
  EXPECT_EQ(m.row(1).demos, 5);
  EXPECT_EQ(m.row(3).text, texts[3]);
  std::vector<std::string> labels;
  for (size_t d : blocks[1]) labels.push_back(pool.demos[d].label);
  EXPECT_EQ(m.row(1).label_mix, ui::label_mix(labels));
}

TEST(BlockTableModelTest, LabelMixCountsInOrderOfFirstAppearance) {
  EXPECT_EQ(ui::label_mix({"b", "a", "b", "c", "b"}), "b×3, a×1, c×1");
  EXPECT_EQ(ui::label_mix({}), "");
}

// A cache of a 4×5 TREC pool under `root`, built by the core with the fixture model.
struct BuiltCache {
  LoadedPool pool;
  std::filesystem::path dir;
};
BuiltCache build_cache(const std::filesystem::path& root) {
  BuiltCache c{trec_pool(20), {}};
  std::shared_ptr<const GgufFile> file = GgufFile::open(fixture("models/tiny-spm-f32.gguf"));
  auto tok = Tokenizer::from_gguf(*file);
  auto model = ui::load_studio_model(file);
  PoolCacheSpec spec;
  spec.model_path = fixture("models/tiny-spm-f32.gguf");
  spec.layout.block_demos = 5;
  const Blocks blocks = group_pool(c.pool.demos, c.pool.prompt, *tok, "in-order", 5, 0);
  const PoolEncoding e = encode_pool(*model, *tok, CacheStore(root), spec, c.pool, blocks, {});
  c.dir = e.build.dir;
  return c;
}

TEST(CacheListModelTest, ListsCachesAndUnreadableFolders) {
  need_studio_app();
  const auto root = scratch_dir("cache-list");
  ui::CacheListModel m;
  Tester tester(&m, Tester::FailureReportingMode::Fatal);
  m.refresh(root / "absent");
  EXPECT_EQ(m.rowCount(), 0);
  const BuiltCache c = build_cache(root);
  // Named like a cache (a key digest) but holding nothing: listed, with the reason it cannot be read.
  std::filesystem::create_directories(root / "0123456789abcdef0123456789abcdef");
  m.refresh(root);
  ASSERT_EQ(m.rowCount(), 2);
  const int good = m.row_of(c.dir);
  ASSERT_GE(good, 0);
  EXPECT_EQ(cell(m, good, ui::CacheListModel::Model), "tiny-spm-f32.gguf");
  EXPECT_EQ(cell(m, good, ui::CacheListModel::Weights), "");  // an F32 file: no holding to name
  EXPECT_EQ(cell(m, good, ui::CacheListModel::Dataset), "trec");
  EXPECT_EQ(cell(m, good, ui::CacheListModel::Blocks), "4");
  EXPECT_EQ(cell(m, good, ui::CacheListModel::Layout), "S=1 P=2, 5/block, in-order, f16");
  EXPECT_TRUE(cell(m, good, ui::CacheListModel::Error).isEmpty());
  EXPECT_GT(m.row(good).summary.bytes, 0u);
  const int bad = 1 - good;
  EXPECT_FALSE(cell(m, bad, ui::CacheListModel::Error).isEmpty());
}

TEST(SelectedAndRetrievedModelsTest, ShowTheBlocksOfAPrediction) {
  need_studio_app();
  const auto root = scratch_dir("selected-blocks");
  const BuiltCache c = build_cache(root);
  const BlockCache cache = BlockCache::open(c.dir);
  std::vector<SelectedBlock> blocks = {{0, 0.0, 0, true}, {2, 3.25, 0, false}};
  for (auto& b : blocks) b.n_tokens = cache.block(b.block).n_tokens();

  ui::SelectedBlockModel sel;
  Tester t1(&sel, Tester::FailureReportingMode::Fatal);
  sel.set_prediction(blocks, &cache, "BM25 score");
  ASSERT_EQ(sel.rowCount(), 2);
  EXPECT_EQ(sel.headerData(ui::SelectedBlockModel::Score, Qt::Horizontal).toString(), "BM25 score");
  EXPECT_EQ(cell(sel, 0, ui::SelectedBlockModel::Sink), "sink");
  EXPECT_EQ(cell(sel, 1, ui::SelectedBlockModel::Block), "2");
  EXPECT_DOUBLE_EQ(sel.data(sel.index(1, ui::SelectedBlockModel::Score), Qt::UserRole).toDouble(), 3.25);
  EXPECT_EQ(cell(sel, 1, ui::SelectedBlockModel::Labels).toStdString(), ui::label_mix(cache.block(2).labels));

  ui::RetrievedDemoModel demos;
  Tester t2(&demos, Tester::FailureReportingMode::Fatal);
  demos.set_blocks(blocks, cache, &c.pool);
  ASSERT_EQ(demos.rowCount(), 10);
  for (int r = 0; r < 10; ++r) {
    const auto& rec = cache.block(r < 5 ? 0 : 2);
    const int64_t id = rec.demo_ids[size_t(r % 5)];
    EXPECT_EQ(cell(demos, r, ui::RetrievedDemoModel::Demo).toLongLong(), id);
    EXPECT_EQ(cell(demos, r, ui::RetrievedDemoModel::Label).toStdString(), c.pool.demos[size_t(id)].label);
    EXPECT_EQ(cell(demos, r, ui::RetrievedDemoModel::Text).toStdString(), c.pool.demos[size_t(id)].text);
  }
  demos.set_blocks(blocks, cache, nullptr);  // another pool: no texts
  EXPECT_TRUE(cell(demos, 0, ui::RetrievedDemoModel::Text).isEmpty());
}

TEST(RunTableModelTest, ListsEveryRunWithItsAggregates) {
  need_studio_app();
  const auto db = write_chart_test_db("run-table");
  ui::RunTableModel m;
  Tester tester(&m, Tester::FailureReportingMode::Fatal);
  m.refresh(db);
  ASSERT_EQ(m.rowCount(), static_cast<int>(chart_test_runs().size()));
  const auto runs = chart_test_runs();
  for (int r = 0; r < m.rowCount(); ++r) {
    const TestRun& t = runs[size_t(r)];
    EXPECT_EQ(cell(m, r, ui::RunTableModel::Method).toStdString(), t.method);
    EXPECT_EQ(cell(m, r, ui::RunTableModel::Dataset).toStdString(), t.dataset);
    if (t.status == RunStatus::Finished) {
      int correct = 0;
      for (bool b : t.correct) correct += b ? 1 : 0;
      EXPECT_EQ(cell(m, r, ui::RunTableModel::Accuracy),
                QString::number(double(correct) / double(t.correct.size()), 'f', 4));
      EXPECT_EQ(cell(m, r, ui::RunTableModel::Status), "finished");
    } else {
      EXPECT_TRUE(cell(m, r, ui::RunTableModel::Accuracy).isEmpty());
    }
  }
  m.refresh(db.parent_path() / "absent.sqlite");
  EXPECT_EQ(m.rowCount(), 0);
  const auto junk = db.parent_path() / "junk.sqlite";
  { std::ofstream(junk) << "not a database"; }
  EXPECT_THROW(m.refresh(junk), std::exception);
}

TEST(BackgroundJobTest, PublishesOnTheGuiThreadReportsProgressAndFailures) {
  need_studio_app();
  ui::BackgroundJob job;
  QSignalSpy progressed(&job, &ui::BackgroundJob::progressed);
  QSignalSpy finished(&job, &ui::BackgroundJob::finished);
  QThread* worker = nullptr;
  QThread* publisher = nullptr;
  ASSERT_TRUE(job.start("work", [&](ui::JobControl& c) -> ui::BackgroundJob::Publish {
    worker = QThread::currentThread();
    c.report(0.5, "half");
    return [&] { publisher = QThread::currentThread(); };
  }));
  QSignalSpy refused(&job, &ui::BackgroundJob::refused);
  EXPECT_FALSE(job.start("second", [](ui::JobControl&) { return ui::BackgroundJob::Publish([] {}); }));
  ASSERT_EQ(refused.count(), 1);
  EXPECT_EQ(refused.first().at(0).toString(), "second");
  EXPECT_EQ(wait_job(job), "");
  EXPECT_EQ(finished.count(), 1);
  EXPECT_NE(worker, QThread::currentThread());
  EXPECT_EQ(publisher, QThread::currentThread());
  QCoreApplication::processEvents();
  ASSERT_GE(progressed.count(), 1);
  EXPECT_DOUBLE_EQ(progressed.first().at(0).toDouble(), 0.5);

  job.start("failing", [](ui::JobControl&) -> ui::BackgroundJob::Publish {
    throw std::runtime_error("data.csv:3: no label column");
  });
  EXPECT_EQ(wait_job(job), "data.csv:3: no label column");

  QSignalSpy cancelled(&job, &ui::BackgroundJob::cancelled);
  std::atomic<bool> entered{false};
  job.start("cancelled", [&entered](ui::JobControl& c) -> ui::BackgroundJob::Publish {
    entered = true;
    while (c.progress(0.1)) QThread::msleep(1);
    return {};
  });
  while (!entered) QThread::msleep(1);
  job.cancel();
  EXPECT_EQ(wait_job(job), "");
  EXPECT_EQ(cancelled.count(), 1);
  EXPECT_EQ(ui::eta_text(65), "1:05");
  EXPECT_EQ(ui::eta_text(-1), "--:--");
}

}  // namespace
}  // namespace dbsa::test
