#pragma once
// Runs page: start a `dbsa eval` of the open model on the pool's dataset (a paper preset fills the pool
// knobs, or set them by hand), watch its progress with ETA (cancel marks the current run interrupted
// and keeps the finished ones), and browse the runs of the results database.
#include <QWidget>
#include <cstdint>
#include <set>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QSortFilterProxyModel;
class QTableView;

class QAbstractItemModel;

namespace dbsa::ui {

class RunDetailDialog;

class StudioState;
class JobProgressWidget;
class RunTableModel;

// Every method core knows (method/method.h: method_names()), comma-separated.
QString all_methods_text();

struct RunRequest {
  QString methods = all_methods_text();
  int blocks = 4, block_demos = 5, select = 2, sink = 1, prev = 2, runs = 1, test = 20;
};

class RunsPage : public QWidget {
  Q_OBJECT
 public:
  explicit RunsPage(StudioState& state, QWidget* parent = nullptr);

  void set_db(const QString& file);
  QString db() const;
  void set_request(const RunRequest& r);
  void apply_preset(const QString& name);  // fills the knobs for the pool's dataset
  void start_eval();
  void refresh();

  RunTableModel& runs() { return *runs_; }
  QAbstractItemModel& shown_runs();  // the table's rows, in the order shown
  // The per-query predictions of the run in `row` of runs() (a double click on the table opens it);
  // null, with an error dialog, when the database cannot be read.
  RunDetailDialog* open_run(int row);
  QString summary_text() const;
  QString methods_text() const;   // the ticked methods, comma-separated
  QString defaults_text() const;  // where the defaults come from (the Pool and Cache pages)
  // The ids of the runs selected in the table, and "Chart selected runs" (emits chart_runs).
  std::set<int64_t> selected_run_ids() const;
  void chart_selected();

 signals:
  void db_changed(const QString& file);
  void eval_finished(const QString& file);
  void chart_runs(const std::set<int64_t>& runs);  // the Charts page draws only these

 public:
  JobProgressWidget& progress() { return *progress_; }

 private:
  // The defaults from the Pool page's blocks (and, with knobs, into the knobs) and the Cache page's store.
  void follow_pool(bool knobs);
  StudioState& state_;
  JobProgressWidget* progress_;
  QComboBox* preset_;
  std::vector<QCheckBox*> methods_;
  QLabel* defaults_;
  bool applying_preset_ = false;
  QSpinBox *blocks_, *block_demos_, *select_, *sink_, *prev_, *runs_n_, *test_;
  QLineEdit* db_;
  QLabel* summary_;
  RunTableModel* runs_;
  QSortFilterProxyModel* sorted_ = nullptr;
  QTableView* table_ = nullptr;
};

}  // namespace dbsa::ui
