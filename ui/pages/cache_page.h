#pragma once
// Cache page: pre-encode the Pool page's blocks into the KV block store with a chosen S, P and KV dtype
// (progress, ETA, cancel — a cancelled build publishes nothing), and manage the store: every cache with
// its model, dataset, layout and size; delete, verify, and choose the cache the Query page uses.
#include <QWidget>
#include <filesystem>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableView;

namespace dbsa::ui {

class StudioState;
class CacheListModel;
class JobProgressWidget;

struct CacheRequest {
  int sink = 1;  // -1: all
  int prev = 2;  // -1: all
  QString dtype = QStringLiteral("f16");
  int chunk = 256;
};

class CachePage : public QWidget {
  Q_OBJECT
 public:
  explicit CachePage(StudioState& state, QWidget* parent = nullptr);

  void set_store_root(const QString& root);
  void set_request(const CacheRequest& r);
  void build_cache();
  void verify_cache(int row);
  void delete_cache(int row);  // no confirmation (the button asks first)
  void refresh();

  CacheListModel& caches() { return *caches_; }
  JobProgressWidget& progress() { return *progress_; }
  QString verify_text() const;

 private:
  void show_pool();
  int selected_row() const;

  StudioState& state_;
  QLineEdit* root_;
  QSpinBox* sink_;
  QSpinBox* prev_;
  QComboBox* dtype_;
  QSpinBox* chunk_;
  QLabel* pool_;
  QLabel* verify_;
  QTableView* table_;
  CacheListModel* caches_;
  JobProgressWidget* progress_;
};

}  // namespace dbsa::ui
