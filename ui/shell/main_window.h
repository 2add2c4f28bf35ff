#pragma once
// The studio's main window: a sidebar of pages (Model, Pool, Cache, Query, Attention, Runs, Charts) over
// one StudioState, menus with shortcuts, recent files, light/dark palettes, and the current job's
// progress in the status bar. Window geometry, page, palette, folders and recent files persist in
// QSettings.
#include <QImage>
#include <QMainWindow>
#include <QStringList>

class QListWidget;
class QMenu;
class QStackedWidget;

namespace dbsa::ui {

class StudioState;
class ModelPage;
class PoolPage;
class CachePage;
class QueryPage;
class AttentionPage;
class RunsPage;
class ChartsPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // "model", "pool", "cache", "query", "attention", "runs", "charts".
  static QStringList page_names();
  bool set_page(const QString& name);  // false for an unknown name
  QString page() const;
  void set_dark(bool dark);
  QImage sidebar_icon(int row) const;  // as drawn now, at the sidebar's icon size
  // A .gguf model (Model page), a .sqlite/.db results database (Runs and Charts pages), else a pool file.
  void open_file(const QString& file);
  static QString about_text();  // Help > About: what the app is, its Qt and kernel instruction set

  StudioState& state() { return *state_; }
  ModelPage& model_page() { return *model_; }
  PoolPage& pool_page() { return *pool_; }
  CachePage& cache_page() { return *cache_; }
  QueryPage& query_page() { return *query_; }
  AttentionPage& attention_page() { return *attention_; }
  RunsPage& runs_page() { return *runs_; }
  ChartsPage& charts_page() { return *charts_; }

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  void build_menus();
  void set_sidebar_icons();
  void add_recent(const QString& file);

  void rebuild_recent_menu();
  void save_settings() const;

  StudioState* state_;
  QListWidget* sidebar_;
  QStackedWidget* stack_;
  ModelPage* model_;
  PoolPage* pool_;
  CachePage* cache_;
  QueryPage* query_;
  AttentionPage* attention_;
  RunsPage* runs_;
  ChartsPage* charts_;
  QMenu* recent_menu_ = nullptr;
  QStringList recent_;
  bool dark_ = false;
};

// Default folders: the data folder ($DBSA_SHARED_DIR/data, else the build's shared folder), and the KV
// store and results database under the user's application data folder.
QString default_data_dir();
QString default_store_root();
QString default_results_db();

}  // namespace dbsa::ui
