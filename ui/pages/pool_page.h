#pragma once
// Pool page: draw a pool from a paper dataset (or open a JSONL pool file), see its demonstrations and
// label histogram, choose the grouping (method, demonstrations per block, seed) and preview the blocks
// with their token counts as pre-encoding will see them (grouping needs the open model's tokenizer).
#include <QWidget>

class QComboBox;
class QLineEdit;
class QSpinBox;
class QLabel;
class QTableView;

namespace dbsa::ui {

class StudioState;
class JobProgressWidget;
class DemoTableModel;
class LabelHistogramModel;
class BlockTableModel;

struct PoolRequest {
  QString dataset = QStringLiteral("trec");
  QString data_dir;
  QString pool_file;  // non-empty: read this JSONL pool instead of drawing
  int blocks = 4;
  int block_demos = 5;
  int seed = 0;
  QString grouping = QStringLiteral("in-order");
};

class PoolPage : public QWidget {
  Q_OBJECT
 public:
  explicit PoolPage(StudioState& state, QWidget* parent = nullptr);

  void set_request(const PoolRequest& r);  // fills the form
  PoolRequest request() const;
  void load_pool();  // from the form, in the background
  void regroup();    // the loaded pool with the form's grouping

  DemoTableModel& demos() { return *demos_; }
  LabelHistogramModel& histogram() { return *histogram_; }
  BlockTableModel& blocks() { return *blocks_; }

 signals:
  void pool_file_opened(const QString& path);

 public:
  JobProgressWidget& progress() { return *progress_; }

 private:
  void show_pool();
  void show_blocks();

  StudioState& state_;
  JobProgressWidget* progress_;
  QComboBox* dataset_;
  QLineEdit* data_dir_;
  QLineEdit* pool_file_;
  QSpinBox* blocks_n_;
  QSpinBox* block_demos_;
  QSpinBox* seed_;
  QComboBox* grouping_;
  QLabel* summary_;
  DemoTableModel* demos_;
  LabelHistogramModel* histogram_;
  BlockTableModel* blocks_;
};

}  // namespace dbsa::ui
