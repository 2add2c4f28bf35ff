#include "ui/pages/cache_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <optional>

#include "cache/cache_error.h"
#include "cache/cache_key.h"
#include "cache/fingerprint.h"
#include "method/pool_encoding.h"
#include "ui/models/cache_list_model.h"
#include "ui/pages/error_dialog.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/page_widgets.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

const QString kBuildJob = QStringLiteral("Build cache");
const QString kVerifyJob = QStringLiteral("Verify cache");
const QString kDeleteJob = QStringLiteral("Delete cache");
const QString kAppendJob = QStringLiteral("Append to cache");

// A job that writes a cache another process is writing waits for it, saying so on the progress line
// every second, until that writer is done or the user cancels.
LockWait reported_lock_wait(JobControl& c) {
  LockWait wait;
  wait.report_every_s = 1;
  wait.on_wait = [&c](long holder, double waited) {
    c.report(0.0, CachePage::tr("waiting for process %1, which is writing this cache (%2 s)")
                      .arg(holder)
                      .arg(static_cast<qlonglong>(waited)));
    return !c.cancelled();
  };
  return wait;
}

}  // namespace

CachePage::CachePage(StudioState& state, QWidget* parent)
    : QWidget(parent), state_(state), caches_(new CacheListModel(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* build = new QGroupBox(tr("Build"), this);
  auto* form = new QFormLayout(build);
  const PathField root = path_field(build);
  root_ = root.edit;
  QPushButton* browse = root.browse;
  form->addRow(tr("KV store"), root.row);
  pool_ = new QLabel(tr("no pool: load one on the Pool page"), build);
  form->addRow(tr("pool"), pool_);
  auto* knobs = new QHBoxLayout;
  sink_ = block_counter(QStringLiteral("S="), 1, build);
  prev_ = block_counter(QStringLiteral("P="), 2, build);
  dtype_ = new QComboBox(build);
  for (const auto& d : kv_dtype_names()) dtype_->addItem(QString::fromStdString(d));
  chunk_ = counter(tr("chunk "), 16, 65536, 256, build);
  auto* start = new QPushButton(tr("Build cache"), build);
  start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
  knobs->addWidget(sink_);
  knobs->addWidget(prev_);
  knobs->addWidget(dtype_);
  knobs->addWidget(chunk_);
  knobs->addStretch(1);
  knobs->addWidget(start);
  form->addRow(tr("layout"), knobs);
  progress_ = new JobProgressWidget(state_.job(), {kBuildJob, kVerifyJob, kDeleteJob, kAppendJob}, build);
  form->addRow(progress_);
  layout->addWidget(build);

  auto* store = new QGroupBox(tr("Caches in the store"), this);
  auto* sl = new QVBoxLayout(store);
  table_ = table_view(caches_, store, true);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  sl->addWidget(table_, 1);
  auto* actions = new QHBoxLayout;
  auto* refresh_button = new QPushButton(tr("Refresh"), store);
  refresh_button->setShortcut(QKeySequence::Refresh);
  auto* verify = new QPushButton(tr("Verify"), store);
  auto* remove = new QPushButton(tr("Delete…"), store);
  auto* append = new QPushButton(tr("Append demonstrations…"), store);
  auto* use = new QPushButton(tr("Use for queries"), store);
  use->setToolTip(tr("Query and inspect this cache on the Query and Attention pages (double click)"));
  append->setToolTip(
      tr("Encode the rows of a pool file (JSONL, the cache's labels) as new blocks of the "
         "selected cache, with the model it was built with"));
  verify_ = new QLabel(store);
  verify_->setWordWrap(true);
  actions->addWidget(refresh_button);
  actions->addWidget(use);
  actions->addWidget(append);
  actions->addWidget(verify);
  actions->addWidget(remove);
  actions->addWidget(verify_, 1);
  sl->addLayout(actions);
  layout->addWidget(store, 1);

  connect(browse, &QPushButton::clicked, this, [this] {
    const QString d = QFileDialog::getExistingDirectory(this, tr("KV store"), root_->text());
    if (!d.isEmpty()) set_store_root(d);
  });
  connect(root_, &QLineEdit::editingFinished, this, [this] { set_store_root(root_->text()); });
  connect(start, &QPushButton::clicked, this, &CachePage::build_cache);
  start_controls(state_.job(), {start, verify, remove, append});
  connect(refresh_button, &QPushButton::clicked, this, &CachePage::refresh);
  connect(&lister_, &QFutureWatcher<Listing>::finished, this, [this] { show_listing(lister_.result()); });
  connect(verify, &QPushButton::clicked, this, [this] { verify_cache(selected_row()); });
  connect(append, &QPushButton::clicked, this, [this] {
    const int row = selected_row();
    if (row < 0) return;
    const QString file = QFileDialog::getOpenFileName(this, tr("Append demonstrations"), QString(),
                                                      tr("Pool files (*.jsonl);;All files (*)"));
    if (!file.isEmpty()) append_to_cache(row, file);
  });
  connect(remove, &QPushButton::clicked, this, [this] {
    const int row = selected_row();
    if (row < 0) return;
    const auto& s = caches_->row(row).summary;
    if (QMessageBox::question(this, tr("Delete cache"),
                              tr("Delete the cache %1 (%2)?")
                                  .arg(QString::fromStdString(s.dir.string()), byte_size_text(s.bytes))) ==
        QMessageBox::Yes)
      delete_cache(row);
  });
  // Selecting a row (to verify, append to or delete it) does not change the cache queries use: that
  // is "Use for queries" (or a double click).
  connect(use, &QPushButton::clicked, this, [this] { use_cache(selected_row()); });
  connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& i) { use_cache(i.row()); });
  connect(&state_, &StudioState::blocks_changed, this, &CachePage::show_pool);
  connect(&state_, &StudioState::store_changed, this, &CachePage::refresh);
  connect(&state_.job(), &BackgroundJob::failed, this, [this](const QString& message, const QString& t) {
    if (t == kBuildJob || t == kVerifyJob || t == kDeleteJob || t == kAppendJob) show_error(this, t, message);
    if (t == kDeleteJob) refresh();  // the table shows what is left
  });
}

void CachePage::set_store_root(const QString& root) {
  root_->setText(root);
  state_.set_store_root(root.toStdString());
}

void CachePage::set_request(const CacheRequest& r) {
  sink_->setValue(r.sink);
  prev_->setValue(r.prev);
  dtype_->setCurrentText(r.dtype);
  chunk_->setValue(r.chunk);
}

void CachePage::show_pool() {
  const auto& p = state_.pool();
  if (!p || p->blocks.empty()) return;
  pool_->setText(tr("%1 (%2 demonstrations) in %3 blocks of %4, %5 grouping, seed %6")
                     .arg(QString::fromStdString(p->pool->dataset))
                     .arg(p->pool->demos.size())
                     .arg(p->blocks.size())
                     .arg(p->block_demos)
                     .arg(QString::fromStdString(p->grouping))
                     .arg(p->seed));
}

void CachePage::build_cache() {
  const auto& m = state_.model();
  const auto& p = state_.pool();
  if (!m || !p || p->blocks.empty() || state_.store_root().empty()) {
    show_error(this, kBuildJob,
               tr("Open a model, load a pool (grouped into blocks) and choose a KV store first."));
    return;
  }
  PoolCacheSpec spec;
  spec.model_path = m->path;
  spec.seed = p->seed;
  spec.layout.block_demos = p->block_demos;
  spec.layout.grouping = p->grouping;
  spec.layout.pattern = {sink_->value(), prev_->value()};
  spec.layout.dtype = parse_kv_dtype(dtype_->currentText().toStdString());
  PreEncodeOptions opts;
  opts.chunk_tokens = chunk_->value();
  std::shared_ptr<LlamaModel> model = m->model;
  std::shared_ptr<const Tokenizer> tok = m->tok;
  std::shared_ptr<const LoadedPool> pool = p->pool;
  Blocks blocks = p->blocks;
  const std::filesystem::path root = state_.store_root();
  state_.job().start(kBuildJob, [=, this](JobControl& c) mutable -> BackgroundJob::Publish {
    opts.progress = [&c](double f) { return c.progress(f); };
    // Another process (a CLI encode or eval) writing the same cache: wait for it (then its cache is
    // reused).
    const LockWait wait = reported_lock_wait(c);
    std::optional<PoolEncoding> e;
    try {
      e.emplace(encode_pool(*model, *tok, CacheStore(root, wait), spec, *pool, blocks, opts));
    } catch (const CacheError&) {
      if (c.cancelled()) return {};  // cancelled while waiting: not an error
      throw;
    }
    if (e->build.cancelled) return {};
    // Listed here, on the worker: the GUI thread only swaps the rows in.
    Listing listing = list_caches(root, 0);
    return [this, dir = e->build.dir, listing = std::move(listing)]() mutable {
      listing.generation = ++generation_;  // newer than any listing started before the build ended
      show_listing(std::move(listing), dir);
    };
  });
}

void CachePage::verify_cache(int row) {
  if (row < 0 || row >= caches_->rowCount()) return;
  const std::filesystem::path dir = caches_->row(row).summary.dir;
  const std::filesystem::path root = state_.store_root();
  state_.job().start(kVerifyJob, [this, dir, root](JobControl& c) -> BackgroundJob::Publish {
    const VerifyReport r = CacheStore(root).verify(dir, [&c](double f) { return c.progress(f); });
    if (r.cancelled) return {};
    QStringList lines;
    lines << QString::fromStdString(r.summary());
    for (const auto& p : r.problems) lines << QString::fromStdString(p);
    for (const auto& n : r.notes) lines << QString::fromStdString(n);
    return [this, text = lines.join('\n')] { verify_->setText(text); };
  });
}

void CachePage::delete_cache(int row) {
  if (row < 0 || row >= caches_->rowCount()) return;
  const std::filesystem::path dir = caches_->row(row).summary.dir;
  const std::filesystem::path root = state_.store_root();
  // Removing a large cache's files takes seconds on a slow disk: off the GUI thread, like verify. The
  // current cache is dropped first, so no page opens it while it goes.
  if (state_.cache_dir() == dir) state_.set_cache(std::nullopt);
  state_.job().start(kDeleteJob, [this, dir, root](JobControl&) -> BackgroundJob::Publish {
    // A cache another process is writing is refused at once, naming it, rather than waited for.
    LockWait no_wait;
    no_wait.timeout_s = 0;
    CacheStore(root, no_wait).remove_dir(dir);
    Listing listing = list_caches(root, 0);
    return [this, listing = std::move(listing)]() mutable {
      listing.generation = ++generation_;  // newer than any listing started before the delete ended
      show_listing(std::move(listing));
    };
  });
}

void CachePage::append_to_cache(int row, const QString& pool_file) {
  if (row < 0 || row >= caches_->rowCount()) return;
  const auto& m = state_.model();
  if (!m) {
    show_error(this, kAppendJob, tr("Open the model the cache was built with first (Model page)."));
    return;
  }
  const std::filesystem::path dir = caches_->row(row).summary.dir;
  const std::filesystem::path root = state_.store_root();
  const std::filesystem::path file = pool_file.toStdString();
  const std::filesystem::path model_path = m->path;
  std::shared_ptr<LlamaModel> model = m->model;
  std::shared_ptr<const Tokenizer> tok = m->tok;
  PreEncodeOptions opts;
  opts.chunk_tokens = chunk_->value();
  // The cache's blocks change: no page may keep reading the old catalog while they are added.
  if (state_.cache_dir() == dir) state_.set_cache(std::nullopt);
  state_.job().start(kAppendJob, [=, this](JobControl& c) mutable -> BackgroundJob::Publish {
    opts.progress = [&c](double f) { return c.progress(f); };
    const LockWait wait = reported_lock_wait(c);  // another writer of this cache: wait for it
    std::optional<PoolAppend> a;
    try {
      // The cache's own grouping seed; rows with bad fields are errors naming their line.
      a.emplace(append_pool_file(*model, *tok, dir, fingerprint_file(model_path), file, false, std::nullopt,
                                 opts, wait));
    } catch (const CacheError&) {
      if (c.cancelled()) return {};
      throw;
    }
    Listing listing = list_caches(root, 0);
    return [this, dir, listing = std::move(listing)]() mutable {
      listing.generation = ++generation_;
      show_listing(std::move(listing), dir);  // the cache again, appended or (cancelled) as it was
    };
  });
}

void CachePage::refresh() {
  // A listing still running is superseded: the watcher follows the new one only.
  lister_.setFuture(QtConcurrent::run(
      [root = state_.store_root(), generation = ++generation_] { return list_caches(root, generation); }));
}

CachePage::Listing CachePage::list_caches(const std::filesystem::path& root, uint64_t generation) {
  Listing listing;
  listing.generation = generation;
  try {
    listing.rows = CacheListModel::list_store(root);
  } catch (const std::exception& e) {
    listing.error = e.what();
  }
  return listing;
}

void CachePage::show_listing(Listing listing, const std::filesystem::path& choose) {
  if (listing.generation < shown_generation_) return;
  shown_generation_ = listing.generation;
  if (!listing.error.empty()) show_error(this, tr("KV store"), QString::fromStdString(listing.error));
  caches_->set_rows(std::move(listing.rows));
  const int row = caches_->row_of(choose.empty() ? state_.cache_dir() : choose);
  if (row >= 0) {
    use_cache(row);
    table_->selectRow(row);
  } else if (listing.error.empty() && !state_.cache_dir().empty() &&
             !std::filesystem::exists(state_.cache_dir())) {
    // The chosen cache was deleted (by another process): nothing may query it. One in another store
    // than the one listed, or a listing that failed, leaves the choice alone.
    state_.set_cache(std::nullopt);
  }
  Q_EMIT listed();
}

void CachePage::use_cache(int row) {
  if (row < 0 || row >= caches_->rowCount()) return;
  const CacheRow& r = caches_->row(row);
  if (!r.summary.error.empty()) {
    show_error(this, tr("Use cache"), QString::fromStdString(r.summary.error));
    return;
  }
  state_.set_cache(r.summary, r.model_path);
}

QString CachePage::verify_text() const {
  return verify_->text();
}

int CachePage::selected_row() const {
  const QModelIndex i = table_->selectionModel()->currentIndex();
  return i.isValid() ? i.row() : -1;
}

}  // namespace dbsa::ui
