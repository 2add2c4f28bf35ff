#pragma once
// Query page: type a text or pick a test query of the pool's dataset, run DBSA over the chosen cache and
// see the selected blocks with their retriever scores, the demonstrations they hold, the predicted
// label against the gold one, and the time of each stage. The query also captures the attention of the
// layer/head chosen on the Attention page.
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace dbsa::ui {

class StudioState;
class SelectedBlockModel;
class RetrievedDemoModel;

class QueryPage : public QWidget {
  Q_OBJECT
 public:
  explicit QueryPage(StudioState& state, QWidget* parent = nullptr);

  // gold: the expected label (empty for a typed query).
  void run_query(const QString& text, const QString& gold = {});
  void run_test_query(int index);           // of the pool's test queries
  void rerun();                             // the last query again (e.g. for another attention head)
  void set_select(int n);                   // -1: all blocks
  void set_retriever(const QString& name);  // "bm25" or "dense"

  SelectedBlockModel& selected() { return *selected_; }
  RetrievedDemoModel& demos() { return *demos_; }
  QString result_text() const;  // predicted vs gold and the timings, as shown
  QString cache_text() const;   // the cache, the model its queries run on, and any mismatch

 private:
  void show_tests();
  void show_query();
  void show_cache();
  QString gold_of(const QString& text) const;  // the test query's label, empty for other texts

  StudioState& state_;
  QLabel* cache_;
  QComboBox* retriever_;
  QSpinBox* select_;
  QComboBox* order_;
  QLineEdit* text_;
  QComboBox* tests_;
  QLabel* label_;
  QLabel* timings_;
  SelectedBlockModel* selected_;
  RetrievedDemoModel* demos_;
};

}  // namespace dbsa::ui
