#pragma once
// Cache page: pre-encode the Pool page's blocks into the KV block store with a chosen S, P and KV dtype
// (progress, ETA, cancel — a cancelled build publishes nothing), and manage the store: every cache with
// its model, dataset, layout and size; delete, verify, and choose the cache the Query page uses.
#include <QFutureWatcher>
#include <QWidget>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ui/models/cache_list_model.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableView;

namespace dbsa::ui {

class StudioState;
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
  void delete_cache(int row);  // a background job, no confirmation (the button asks first)
  // Makes the cache in `row` the one the Query and Attention pages use (selecting a row does not).
  void use_cache(int row);
  // Encodes the rows of `pool_file` as new blocks of the cache in `row`, with the open model, as a
  // background job (progress, cancel; a cancelled append adds nothing); the table is relisted after.
  void append_to_cache(int row, const QString& pool_file);
  // Lists the store in the background (every catalog is read, so never on the GUI thread); the table
  // is replaced and listed() emitted when the listing is back. A newer refresh supersedes an older one.
  void refresh();
  bool listing() const { return lister_.isRunning(); }

 signals:
  void listed();

 public:
  CacheListModel& caches() { return *caches_; }
  JobProgressWidget& progress() { return *progress_; }
  QString verify_text() const;

 private:
  void show_pool();
  int selected_row() const;
  // The listing is back: the rows, or the error that stopped it.
  struct Listing {
    uint64_t generation = 0;  // later listings supersede earlier ones, whichever comes back first
    std::vector<CacheRow> rows;
    std::string error;
  };
  static Listing list_caches(const std::filesystem::path& root, uint64_t generation);
  // Shows a listing unless a newer one was shown; selects `choose` (empty: the chosen cache) when listed.
  void show_listing(Listing listing, const std::filesystem::path& choose = {});

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
  QFutureWatcher<Listing> lister_;
  uint64_t generation_ = 0, shown_generation_ = 0;
};

}  // namespace dbsa::ui
