#include "ui/shell/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <iterator>

#include "engine/quant_kernels.h"
#include "ui/pages/attention_page.h"
#include "ui/pages/cache_page.h"
#include "ui/pages/charts_page.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/model_page.h"
#include "ui/pages/pool_page.h"
#include "ui/pages/query_page.h"
#include "ui/pages/runs_page.h"
#include "ui/shell/studio_state.h"
#include "ui/shell/theme.h"

namespace dbsa::ui {
namespace {

constexpr int kMaxRecent = 10;

QString app_data_dir() {
  return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
}

}  // namespace

QString default_data_dir() {
  const QString shared = qEnvironmentVariable("DBSA_SHARED_DIR", QStringLiteral(DBSA_DEFAULT_SHARED_DIR));
  return QDir(shared).filePath(QStringLiteral("data"));
}

QString default_store_root() {
  return QDir(app_data_dir()).filePath(QStringLiteral("kvstore"));
}

QString default_results_db() {
  return QDir(app_data_dir()).filePath(QStringLiteral("results.sqlite"));
}

QStringList MainWindow::page_names() {
  return {"model", "pool", "cache", "query", "attention", "runs", "charts"};
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      state_(new StudioState(this)),
      sidebar_(new QListWidget(this)),
      stack_(new QStackedWidget(this)),
      model_(new ModelPage(*state_, stack_)),
      pool_(new PoolPage(*state_, stack_)),
      cache_(new CachePage(*state_, stack_)),
      query_(new QueryPage(*state_, stack_)),
      attention_(new AttentionPage(*state_, stack_)),
      runs_(new RunsPage(*state_, stack_)),
      charts_(new ChartsPage(stack_)) {
  setWindowTitle(QStringLiteral("DBSA Studio"));
  // The open model and the cache queries use, always in sight.
  const auto show_title = [this] {
    QStringList parts{QStringLiteral("DBSA Studio")};
    if (const auto& m = state_->model()) parts << QString::fromStdString(m->path.filename().string());
    if (const CacheSummary* c = state_->cache())
      parts << tr("cache %1").arg(QString::fromStdString(c->digest.substr(0, 12)));
    setWindowTitle(parts.join(QStringLiteral(" — ")));
  };
  connect(state_, &StudioState::model_changed, this, show_title);
  connect(state_, &StudioState::cache_changed, this, show_title);
  const QStringList titles = {tr("Model"),     tr("Pool"), tr("Cache"), tr("Query"),
                              tr("Attention"), tr("Runs"), tr("Charts")};
  QWidget* pages[] = {model_, pool_, cache_, query_, attention_, runs_, charts_};
  for (int i = 0; i < titles.size(); ++i) {
    sidebar_->addItem(new QListWidgetItem(titles[i]));
    stack_->addWidget(pages[i]);
  }
  sidebar_->setFixedWidth(150);
  sidebar_->setIconSize(QSize(22, 22));
  sidebar_->setSpacing(3);
  auto* central = new QWidget(this);
  auto* row = new QHBoxLayout(central);
  row->addWidget(sidebar_);
  row->addWidget(stack_, 1);
  setCentralWidget(central);
  connect(sidebar_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);
  statusBar()->addPermanentWidget(new JobProgressWidget(state_->job(), {}, this), 1);

  connect(&state_->job(), &BackgroundJob::refused, this, [this](const QString& title) {
    statusBar()->showMessage(
        tr("%1: wait for \"%2\" to finish or cancel it (Esc)").arg(title, state_->job().title()), 8000);
  });
  connect(model_, &ModelPage::model_opened, this, &MainWindow::add_recent);
  connect(pool_, &PoolPage::pool_file_opened, this, &MainWindow::add_recent);
  connect(attention_, &AttentionPage::recapture_requested, query_, &QueryPage::rerun);
  connect(runs_, &RunsPage::db_changed, charts_, &ChartsPage::set_db);
  connect(runs_, &RunsPage::eval_finished, charts_, &ChartsPage::set_db);
  connect(runs_, &RunsPage::chart_runs, this, [this](const std::set<int64_t>& ids) {
    charts_->set_runs(ids);
    sidebar_->setCurrentRow(static_cast<int>(page_names().indexOf(QStringLiteral("charts"))));
  });
  build_menus();

  QSettings s;
  recent_ = s.value("recent").toStringList();
  rebuild_recent_menu();
  PoolRequest pr;
  pr.data_dir = s.value("dataDir", default_data_dir()).toString();
  pool_->set_request(pr);
  cache_->set_store_root(s.value("storeRoot", default_store_root()).toString());
  runs_->set_db(s.value("resultsDb", default_results_db()).toString());
  set_dark(s.value("dark", false).toBool());
  // A sensible first size: most of a laptop screen; later the saved geometry wins.
  resize(1280, 800);
  restoreGeometry(s.value("geometry").toByteArray());
  sidebar_->setCurrentRow(std::max(0, static_cast<int>(page_names().indexOf(s.value("page").toString()))));
}

MainWindow::~MainWindow() = default;

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open &model…"), QKeySequence::Open, this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, tr("Open GGUF model"), {}, tr("GGUF models (*.gguf)"));
    if (!f.isEmpty()) open_file(f);
  });
  file->addAction(tr("Open &pool file…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, tr("Open pool file"), {}, tr("JSONL pools (*.jsonl)"));
    if (!f.isEmpty()) open_file(f);
  });
  file->addAction(tr("Open r&esults database…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O), this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Open results database"), {},
                                                   tr("Results databases (*.sqlite *.db)"));
    if (!f.isEmpty()) open_file(f);
  });
  recent_menu_ = file->addMenu(tr("Open &recent"));
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (int i = 0; i < sidebar_->count(); ++i) {
    const QKeySequence key(static_cast<int>(Qt::CTRL) | (Qt::Key_1 + i));
    view->addAction(sidebar_->item(i)->text(), key, this, [this, i] { sidebar_->setCurrentRow(i); });
  }
  view->addSeparator();
  QAction* dark = view->addAction(tr("&Dark palette"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D), this,
                                  [this](bool on) { set_dark(on); });
  dark->setCheckable(true);
  dark->setObjectName(QStringLiteral("darkAction"));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* about = help->addAction(tr("&About DBSA Studio"), this, [this] {
    QMessageBox::about(this, tr("About DBSA Studio"), about_text());
  });
  about->setObjectName(QStringLiteral("aboutAction"));
}

QString MainWindow::about_text() {
  return tr("<b>DBSA Studio</b><p>Dynamic Block-Sparse Attention for many-shot in-context learning "
            "(Xiao et al., 2025): encode a demonstration pool once, block-sparse; retrieve the blocks "
            "each query needs and decode its label from their cached keys and values.</p>"
            "<p>Pages: Model, Pool, Cache, Query, Attention, Runs, Charts (Ctrl+1…7). The same core runs "
            "headless as <tt>dbsa</tt>.</p><p>Qt %1; quantized kernels: %2.</p>")
      .arg(QString::fromLatin1(qVersion()), QString::fromStdString(std::string(isa_name(best_isa()))));
}

// The sidebar's icons, drawn for the current palette (theme.h: palette_icon).
void MainWindow::set_sidebar_icons() {
  static constexpr QStyle::StandardPixmap kIcons[] = {
      QStyle::SP_ComputerIcon,           QStyle::SP_FileDialogListView,     QStyle::SP_DriveHDIcon,
      QStyle::SP_FileDialogContentsView, QStyle::SP_FileDialogDetailedView, QStyle::SP_MediaPlay,
      QStyle::SP_DialogSaveButton};
  for (int i = 0; i < sidebar_->count() && i < static_cast<int>(std::size(kIcons)); ++i)
    sidebar_->item(i)->setIcon(palette_icon(*style(), kIcons[i], QApplication::palette()));
}

QImage MainWindow::sidebar_icon(int row) const {
  return sidebar_->item(row)->icon().pixmap(sidebar_->iconSize()).toImage();
}

void MainWindow::set_dark(bool dark) {
  dark_ = dark;
  apply_theme(dark);
  set_sidebar_icons();
  if (auto* a = findChild<QAction*>(QStringLiteral("darkAction"))) a->setChecked(dark);
}

bool MainWindow::set_page(const QString& name) {
  const int i = static_cast<int>(page_names().indexOf(name.toLower()));
  if (i < 0) return false;
  sidebar_->setCurrentRow(i);
  return true;
}

QString MainWindow::page() const {
  return page_names().value(sidebar_->currentRow());
}

void MainWindow::open_file(const QString& file) {
  if (file.endsWith(QStringLiteral(".gguf"), Qt::CaseInsensitive)) {
    set_page(QStringLiteral("model"));
    model_->open_model(file);
  } else if (file.endsWith(QStringLiteral(".sqlite"), Qt::CaseInsensitive) ||
             file.endsWith(QStringLiteral(".db"), Qt::CaseInsensitive)) {
    // A results database: its runs on the Runs page and its charts (Charts page follows set_db).
    runs_->set_db(file);
    set_page(QStringLiteral("runs"));
    add_recent(file);
  } else {
    PoolRequest r = pool_->request();
    r.pool_file = file;
    pool_->set_request(r);
    set_page(QStringLiteral("pool"));
    pool_->load_pool();
  }
}

void MainWindow::add_recent(const QString& file) {
  const QString abs = QFileInfo(file).absoluteFilePath();
  recent_.removeAll(abs);
  recent_.prepend(abs);
  while (recent_.size() > kMaxRecent) recent_.removeLast();
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  for (const QString& f : recent_) recent_menu_->addAction(f, this, [this, f] { open_file(f); });
  recent_menu_->setEnabled(!recent_.isEmpty());
}

void MainWindow::save_settings() const {
  QSettings s;
  s.setValue("geometry", saveGeometry());
  s.setValue("page", page());
  s.setValue("dark", dark_);
  s.setValue("recent", recent_);
  s.setValue("dataDir", pool_->request().data_dir);
  s.setValue("storeRoot", QString::fromStdString(state_->store_root().string()));
  s.setValue("resultsDb", runs_->db());
}

void MainWindow::closeEvent(QCloseEvent* e) {
  save_settings();
  state_->job().cancel();
  state_->job().wait(30000);
  e->accept();
}

}  // namespace dbsa::ui
