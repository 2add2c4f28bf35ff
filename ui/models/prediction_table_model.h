#pragma once
// One run's answered queries (store/run_record.h: PredictionRow), for the Runs page's drill-down:
// what was asked, the gold and predicted labels, the blocks it read and how long it took.
#include <vector>

#include "store/run_record.h"
#include "ui/models/table_model.h"

namespace dbsa::ui {

class PredictionTableModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Query, Example, Gold, Predicted, Correct, Blocks, Tokens, LatencyMs, ColumnCount };
  explicit PredictionTableModel(QObject* parent = nullptr);

  void set_rows(std::vector<PredictionRow> rows);
  const PredictionRow& row(int r) const { return rows_[static_cast<size_t>(r)]; }

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<PredictionRow> rows_;
};

}  // namespace dbsa::ui
