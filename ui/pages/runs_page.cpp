#include "ui/pages/runs_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStringList>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "eval/eval_run.h"
#include "eval/paper_presets.h"
#include "method/method.h"
#include "ui/models/run_table_model.h"
#include "ui/pages/error_dialog.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/page_widgets.h"
#include "ui/pages/run_detail_dialog.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {

QString all_methods_text() {
  QStringList names;
  for (const auto& m : method_names()) names << QString::fromStdString(m);
  return names.join(',');
}

namespace {

const QString kEvalJob = QStringLiteral("Evaluate");

QString progress_text(const EvalProgress& p) {
  return QStringLiteral("unit %1/%2: run %3 %4 %5")
      .arg(p.unit + 1)
      .arg(p.n_units)
      .arg(p.run)
      .arg(QString::fromStdString(p.method),
           p.in_setup ? QStringLiteral("setup")
                      : QStringLiteral("%1/%2").arg(p.queries_done).arg(p.n_queries));
}

}  // namespace

RunsPage::RunsPage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), runs_(new RunTableModel(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* box = new QGroupBox(tr("Evaluate (the open model on the pool's dataset)"), this);
  auto* form = new QFormLayout(box);
  preset_ = new QComboBox(box);
  preset_->addItem(tr("custom"));
  for (const auto& p : paper_preset_names()) preset_->addItem(QString::fromStdString(p));
  form->addRow(tr("preset"), preset_);
  // One box per method core knows: no free text to misspell, no CLI wording in the errors.
  auto* method_row = new QHBoxLayout;
  for (const auto& name : method_names()) {
    auto* check = new QCheckBox(QString::fromStdString(name), box);
    methods_.push_back(check);
    method_row->addWidget(check);
  }
  method_row->addStretch(1);
  form->addRow(tr("methods"), method_row);
  auto* knobs = new QHBoxLayout;
  blocks_ = counter(tr("blocks "), 1, 1000000, 4, box);
  block_demos_ = counter(tr("demos/block "), 1, 1000000, 5, box);
  select_ = counter(tr("select "), 1, 1000000, 2, box);
  sink_ = block_counter(QStringLiteral("S="), 1, box);
  prev_ = block_counter(QStringLiteral("P="), 2, box);
  runs_n_ = counter(tr("runs "), 1, 1000000, 1, box);
  test_ = counter(tr("test "), 0, 1000000, 20, box);
  test_->setSpecialValueText(tr("test all"));
  for (auto* k : {blocks_, block_demos_, select_, sink_, prev_, runs_n_, test_}) knobs->addWidget(k);
  form->addRow(tr("pool and queries"), knobs);
  defaults_ = new QLabel(box);
  defaults_->setWordWrap(true);
  form->addRow(defaults_);
  const PathField db = path_field(box);
  db_ = db.edit;
  QPushButton* browse = db.browse;
  auto* start = new QPushButton(tr("Start"), box);
  start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  db.row->addWidget(start);
  form->addRow(tr("results database"), db.row);
  progress_ = new JobProgressWidget(state_.job(), {kEvalJob}, box);
  form->addRow(progress_);
  summary_ = new QLabel(box);
  summary_->setWordWrap(true);
  form->addRow(summary_);
  layout->addWidget(box);
  // Sortable by any column (numbers by value): the table sorts a proxy, the model keeps database order.
  auto* sorted = new QSortFilterProxyModel(this);
  sorted->setSourceModel(runs_);
  sorted->setSortRole(RunTableModel::kSortRole);
  auto* table = table_view(sorted, this, true);
  table->setSortingEnabled(true);
  table->sortByColumn(RunTableModel::Id, Qt::AscendingOrder);
  sorted_ = sorted;
  table->setToolTip(tr("Double click a run for its per-query predictions"));
  table_ = table;
  connect(table, &QTableView::doubleClicked, this,
          [this, sorted](const QModelIndex& i) { open_run(sorted->mapToSource(i).row()); });
  layout->addWidget(table, 1);
  auto* chart = new QPushButton(tr("Chart selected runs"), this);
  chart->setToolTip(
      tr("Draw only the selected runs on the Charts page (Ctrl/Shift-click to select several)"));
  chart->setEnabled(false);
  connect(table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this, chart] { chart->setEnabled(!selected_run_ids().empty()); });
  connect(chart, &QPushButton::clicked, this, &RunsPage::chart_selected);
  auto* below = new QHBoxLayout;
  below->addStretch(1);
  below->addWidget(chart);
  layout->addLayout(below);
  set_request({});

  connect(preset_, &QComboBox::textActivated, this, &RunsPage::apply_preset);
  // A knob edited by hand is no longer the preset's configuration.
  for (QSpinBox* k : {blocks_, block_demos_, select_, sink_, prev_})
    connect(k, &QSpinBox::valueChanged, this, [this] {
      if (!applying_preset_) preset_->setCurrentIndex(0);
    });
  // The Pool page's blocks and the Cache page's store are the defaults; the knobs above override them.
  connect(&state_, &StudioState::blocks_changed, this, [this] { follow_pool(true); });
  connect(&state_, &StudioState::store_changed, this, [this] { follow_pool(false); });
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f =
        QFileDialog::getSaveFileName(this, tr("Results database"), db_->text(), tr("SQLite (*.sqlite *.db)"),
                                     nullptr, QFileDialog::DontConfirmOverwrite);
    if (!f.isEmpty()) set_db(f);
  });
  connect(db_, &QLineEdit::editingFinished, this, [this] { set_db(db_->text()); });
  connect(start, &QPushButton::clicked, this, &RunsPage::start_eval);
  start_controls(state_.job(), {start});
  // While an evaluation runs: where it is, and the runs it has finished so far (the database is read
  // read-only; the evaluator commits each run as one transaction).
  auto* poll = new QTimer(this);
  poll->setInterval(2000);
  connect(poll, &QTimer::timeout, this, [this] {
    // A database still being created may not read yet; the refresh after the job reports any error.
    try {
      runs_->refresh(db_->text().toStdString());
    } catch (const std::exception&) {
    }
  });
  connect(&state_.job(), &BackgroundJob::started, this, [this, poll](const QString& title) {
    if (title == kEvalJob) poll->start();
  });
  connect(&state_.job(), &BackgroundJob::done, poll, &QTimer::stop);
  connect(&state_.job(), &BackgroundJob::progressed, this, [this](double, double, const QString& what) {
    if (state_.job().title() == kEvalJob && !what.isEmpty()) summary_->setText(what);
  });
  connect(&state_.job(), &BackgroundJob::failed, this, [this](const QString& message, const QString& t) {
    if (t == kEvalJob) show_error(this, kEvalJob, message);
  });
}

void RunsPage::set_db(const QString& file) {
  db_->setText(file);
  refresh();
  Q_EMIT db_changed(file);
}

QString RunsPage::db() const {
  return db_->text();
}

void RunsPage::set_request(const RunRequest& r) {
  const QStringList wanted = r.methods.split(',', Qt::SkipEmptyParts);
  for (QCheckBox* m : methods_) m->setChecked(wanted.contains(m->text()));
  blocks_->setValue(r.blocks);
  block_demos_->setValue(r.block_demos);
  select_->setValue(r.select);
  sink_->setValue(r.sink);
  prev_->setValue(r.prev);
  runs_n_->setValue(r.runs);
  test_->setValue(r.test);
}

void RunsPage::follow_pool(bool knobs) {
  const auto& p = state_.pool();
  if (knobs && p && !p->blocks.empty()) {
    blocks_->setValue(static_cast<int>(p->blocks.size()));
    block_demos_->setValue(p->block_demos);
  }
  const QString store = state_.store_root().empty() ? tr("the results database's folder")
                                                    : QString::fromStdString(state_.store_root().string());
  defaults_->setText(p ? tr("Defaults: the Pool page's %1 blocks of %2 (each run draws its pool with its own "
                            "seed, as dbsa eval does); KV caches in %3. The knobs above override them.")
                             .arg(p->blocks.size())
                             .arg(p->block_demos)
                             .arg(store)
                       : tr("Load a pool on the Pool page; its blocks become the defaults here."));
}

QString RunsPage::defaults_text() const {
  return defaults_->text();
}

QString RunsPage::methods_text() const {
  QStringList chosen;
  for (QCheckBox* m : methods_)
    if (m->isChecked()) chosen << m->text();
  return chosen.join(',');
}

void RunsPage::apply_preset(const QString& name) {
  if (preset_->currentIndex() == 0 || !state_.pool()) return;
  const QSignalBlocker keep_label(preset_);
  applying_preset_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{applying_preset_};
  try {
    const PaperPreset p = paper_preset(name.toStdString(), state_.pool()->pool->dataset);
    blocks_->setValue(p.blocks);
    block_demos_->setValue(p.block_demos);
    select_->setValue(p.select);
    sink_->setValue(p.pattern.sink);
    prev_->setValue(p.pattern.prev);
  } catch (const std::exception& e) {
    show_error(this, tr("Preset"), QString::fromStdString(e.what()));
  }
}

void RunsPage::start_eval() {
  const auto& m = state_.model();
  const auto& p = state_.pool();
  if (!m || !p || p->data_dir.empty() || db_->text().isEmpty()) {
    show_error(
        this, kEvalJob,
        tr("Open a model, load a pool drawn from a dataset (Pool page) and choose a results database."));
    return;
  }
  EvalConfig c;
  c.model = m->path;
  // The model runs as the Model page loaded it, as `dbsa eval` with the same options would.
  c.backend = m->load.backend;
  c.weights = m->load.precision;
  c.kv_cache = m->load.kv;
  c.max_context = m->load.max_context;
  c.dataset = p->pool->dataset;
  c.data_dir = p->data_dir;
  c.blocks = blocks_->value();
  c.block_demos = block_demos_->value();
  c.select = select_->value();
  c.pattern = {sink_->value(), prev_->value()};
  c.runs = runs_n_->value();
  c.test = test_->value();
  c.db = db_->text().toStdString();
  if (preset_->currentIndex() > 0) c.preset = preset_->currentText().toStdString();
  if (!state_.store_root().empty()) c.cache_dir = state_.store_root();  // the Cache page's KV store
  const QString chosen = methods_text();
  if (chosen.isEmpty()) {
    show_error(this, kEvalJob, tr("Tick at least one method to evaluate."));
    return;
  }
  try {
    c.methods = parse_method_list(chosen.toStdString());
    validate_config(c);
  } catch (const std::exception& e) {
    show_error(this, kEvalJob, QString::fromStdString(e.what()));
    return;
  }
  state_.job().start(kEvalJob, [this, c](JobControl& ctl) -> BackgroundJob::Publish {
    EvalCallbacks cb;
    cb.progress = [&ctl](const EvalProgress& ep) { ctl.report(ep.fraction, progress_text(ep)); };
    cb.cancel = ctl.cancel_flag();
    // Another process building the same cache: the wait shows in the progress line (and Esc ends it).
    cb.notice = [&ctl](const std::string& line) { ctl.report(0.0, QString::fromStdString(line)); };
    const EvalSummary s = evaluate_points({c}, cb);
    if (s.interrupted) ctl.stopped_early();  // the finished runs are shown; the job says "cancelled"
    QStringList lines;
    for (const auto& u : s.units)
      lines << QStringLiteral("run %1 %2: %3%4")
                   .arg(u.unit.run)
                   .arg(QString::fromStdString(u.method), QString::fromStdString(u.status),
                        u.status == "finished" ? QStringLiteral(", accuracy %1").arg(u.accuracy, 0, 'f', 4)
                                               : QString());
    lines << tr("%1 runs in %2 s%3")
                 .arg(s.units.size())
                 .arg(s.seconds, 0, 'f', 1)
                 .arg(s.interrupted ? tr(", interrupted") : QString());
    return [this, text = lines.join('\n'), db = QString::fromStdString(c.db.string())] {
      summary_->setText(text);
      refresh();
      Q_EMIT eval_finished(db);
    };
  });
}

RunDetailDialog* RunsPage::open_run(int row) {
  if (row < 0 || row >= runs_->rowCount()) return nullptr;
  try {
    auto* d = new RunDetailDialog(db_->text().toStdString(), runs_->row(row).record, this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->show();
    return d;
  } catch (const std::exception& e) {
    show_error(this, tr("Run predictions"), QString::fromStdString(e.what()));
    return nullptr;
  }
}

void RunsPage::refresh() {
  try {
    runs_->refresh(db_->text().toStdString());
  } catch (const std::exception& e) {
    show_error(this, tr("Results database"), QString::fromStdString(e.what()));
  }
}

QString RunsPage::summary_text() const {
  return summary_->text();
}

QAbstractItemModel& RunsPage::shown_runs() {
  return *sorted_;
}

std::set<int64_t> RunsPage::selected_run_ids() const {
  std::set<int64_t> ids;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows())
    ids.insert(runs_->row(sorted_->mapToSource(i).row()).record.id);
  return ids;
}

void RunsPage::chart_selected() {
  const std::set<int64_t> ids = selected_run_ids();
  if (!ids.empty()) Q_EMIT chart_runs(ids);
}

}  // namespace dbsa::ui
