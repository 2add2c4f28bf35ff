#include "ui/pages/pool_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "icl/dataset_loaders.h"
#include "icl/template.h"
#include "ui/models/block_table_model.h"
#include "ui/models/demo_table_model.h"
#include "ui/models/label_histogram_model.h"
#include "ui/pages/bar_delegate.h"
#include "ui/pages/error_dialog.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/page_widgets.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

const QString kLoadJob = QStringLiteral("Load pool");
const QString kGroupJob = QStringLiteral("Group pool");

// The blocks of `demos` under the grouping, with texts and token counts exactly as pre-encoding makes
// them (runs on the worker).
PoolBlocks group_blocks(const LoadedPool& pool, const Tokenizer& tok, const std::string& grouping,
                        int32_t block_demos, uint64_t seed) {
  PoolBlocks p;
  p.grouping = grouping;
  p.block_demos = block_demos;
  p.seed = seed;
  p.blocks = group_pool(pool.demos, pool.prompt, tok, grouping, static_cast<size_t>(block_demos), seed);
  p.block_texts = block_texts(pool.demos, p.blocks, pool.prompt);
  for (const auto& t : tokenize_blocks(tok, p.block_texts)) p.block_tokens.push_back(t.size());
  return p;
}

}  // namespace

PoolPage::PoolPage(StudioState& state, QWidget* parent)
    : QWidget(parent),
      state_(state),
      demos_(new DemoTableModel(this)),
      histogram_(new LabelHistogramModel(this)),
      blocks_(new BlockTableModel(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* source = new QGroupBox(tr("Pool"), this);
  auto* form = new QFormLayout(source);
  dataset_ = new QComboBox(source);
  for (const auto& d : paper_dataset_names()) dataset_->addItem(QString::fromStdString(d));
  form->addRow(tr("dataset"), dataset_);
  const PathField dir = path_field(source);
  data_dir_ = dir.edit;
  QPushButton* browse = dir.browse;
  form->addRow(tr("data folder"), dir.row);
  const PathField file = path_field(source, tr("optional: a JSONL pool file instead of a draw"));
  pool_file_ = file.edit;
  QPushButton* browse_file = file.browse;
  form->addRow(tr("pool file"), file.row);
  auto* sizes = new QHBoxLayout;
  blocks_n_ = counter(tr("blocks "), 1, 100000, 4, source);
  block_demos_ = counter(tr("demos/block "), 1, 10000, 5, source);
  seed_ = counter(tr("seed "), 0, 1 << 30, 0, source);
  grouping_ = new QComboBox(source);
  for (const auto& g : grouping_names()) {
    grouping_->addItem(QString::fromStdString(g));
    grouping_->setItemData(grouping_->count() - 1, QString::fromStdString(grouping_description(g)),
                           Qt::ToolTipRole);
  }
  sizes->addWidget(blocks_n_);
  sizes->addWidget(block_demos_);
  sizes->addWidget(seed_);
  sizes->addWidget(grouping_);
  form->addRow(tr("draw and grouping"), sizes);
  auto* buttons = new QHBoxLayout;
  auto* load = new QPushButton(tr("Load pool"), source);
  load->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
  auto* regroup_button = new QPushButton(tr("Regroup"), source);
  summary_ = new QLabel(source);
  buttons->addWidget(load);
  buttons->addWidget(regroup_button);
  buttons->addWidget(summary_, 1);
  form->addRow(buttons);
  layout->addWidget(source);

  auto* split = new QSplitter(Qt::Vertical, this);
  auto* top = new QSplitter(Qt::Horizontal, split);
  table_view(demos_, top, false);
  auto* hist = table_view(histogram_, top, false);
  hist->setItemDelegateForColumn(LabelHistogramModel::Share, new BarDelegate(hist));
  top->setStretchFactor(0, 3);
  top->setStretchFactor(1, 2);
  table_view(blocks_, split, false);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
  progress_ = new JobProgressWidget(state_.job(), {kLoadJob, kGroupJob}, this);
  layout->addWidget(progress_);

  connect(browse, &QPushButton::clicked, this, [this] {
    const QString d = QFileDialog::getExistingDirectory(this, tr("Data folder"), data_dir_->text());
    if (!d.isEmpty()) data_dir_->setText(d);
  });
  connect(browse_file, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Pool file"), {}, tr("JSONL pools (*.jsonl)"));
    if (f.isEmpty()) return;
    pool_file_->setText(f);
    load_pool();
  });
  connect(load, &QPushButton::clicked, this, &PoolPage::load_pool);
  connect(regroup_button, &QPushButton::clicked, this, &PoolPage::regroup);
  start_controls(state_.job(), {load, regroup_button});
  connect(&state_, &StudioState::pool_changed, this, &PoolPage::show_pool);
  connect(&state_, &StudioState::blocks_changed, this, &PoolPage::show_blocks);
  // Blocks are grouped by the model's token counts: a new model regroups the pool.
  connect(&state_, &StudioState::model_changed, this, [this] {
    if (state_.pool()) regroup();
  });
  connect(&state_.job(), &BackgroundJob::failed, this, [this](const QString& message, const QString& t) {
    if (t == kLoadJob || t == kGroupJob) show_error(this, t, message);
  });
}

void PoolPage::set_request(const PoolRequest& r) {
  dataset_->setCurrentText(r.dataset);
  data_dir_->setText(r.data_dir);
  pool_file_->setText(r.pool_file);
  blocks_n_->setValue(r.blocks);
  block_demos_->setValue(r.block_demos);
  seed_->setValue(r.seed);
  grouping_->setCurrentText(r.grouping);
}

PoolRequest PoolPage::request() const {
  PoolRequest r;
  r.dataset = dataset_->currentText();
  r.data_dir = data_dir_->text();
  r.pool_file = pool_file_->text();
  r.blocks = blocks_n_->value();
  r.block_demos = block_demos_->value();
  r.seed = seed_->value();
  r.grouping = grouping_->currentText();
  return r;
}

void PoolPage::load_pool() {
  const PoolRequest r = request();
  std::shared_ptr<const Tokenizer> tok = state_.model() ? state_.model()->tok : nullptr;
  state_.job().start(kLoadJob, [this, r, tok](JobControl& c) -> BackgroundJob::Publish {
    PoolSource src;
    src.dataset = r.dataset.toStdString();
    src.data_dir = r.data_dir.toStdString();
    src.pool_file = r.pool_file.toStdString();
    src.pool_size = static_cast<int64_t>(r.blocks) * r.block_demos;
    src.seed = static_cast<uint64_t>(r.seed);
    c.report(0.1, tr("reading"));
    auto pool = std::make_shared<LoadedPool>(load_pool_source(src));
    PoolBlocks p;
    if (tok) p = group_blocks(*pool, *tok, r.grouping.toStdString(), r.block_demos, src.seed);
    p.pool = pool;
    if (r.pool_file.isEmpty()) p.data_dir = src.data_dir;
    if (r.pool_file.isEmpty())
      p.tests = load_paper_test_subset(load_paper_dataset(src.dataset, src.data_dir), src.data_dir);
    return [this, p = std::move(p), file = r.pool_file]() mutable {
      state_.set_pool(std::move(p));
      if (!file.isEmpty()) Q_EMIT pool_file_opened(file);
    };
  });
}

void PoolPage::regroup() {
  const auto& current = state_.pool();
  if (!current || !state_.model()) return;
  const PoolRequest r = request();
  std::shared_ptr<const LoadedPool> pool = current->pool;
  std::shared_ptr<const Tokenizer> tok = state_.model()->tok;
  state_.job().start(kGroupJob, [this, r, pool, tok](JobControl&) -> BackgroundJob::Publish {
    PoolBlocks p =
        group_blocks(*pool, *tok, r.grouping.toStdString(), r.block_demos, static_cast<uint64_t>(r.seed));
    return [this, p = std::move(p)]() mutable { state_.set_blocks(std::move(p)); };
  });
}

void PoolPage::show_pool() {
  const auto& p = state_.pool();
  demos_->set_pool(p ? p->pool : nullptr);
  histogram_->set_pool(p ? p->pool.get() : nullptr);
}

void PoolPage::show_blocks() {
  const auto& p = state_.pool();
  if (!p) return;
  blocks_->set_blocks(p->pool.get(), p->blocks, p->block_texts, p->block_tokens);
  int64_t tokens = 0;
  for (const size_t t : p->block_tokens) tokens += static_cast<int64_t>(t);
  summary_->setText(p->blocks.empty()
                        ? tr("%1 demonstrations, %2 labels — open a model to group them into blocks")
                              .arg(p->pool->demos.size())
                              .arg(p->pool->labels.size())
                        : tr("%1 demonstrations, %2 labels, %3 blocks (%4), %5 tokens")
                              .arg(p->pool->demos.size())
                              .arg(p->pool->labels.size())
                              .arg(p->blocks.size())
                              .arg(QString::fromStdString(p->grouping))
                              .arg(tokens));
}

}  // namespace dbsa::ui
