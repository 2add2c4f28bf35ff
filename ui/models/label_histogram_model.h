#pragma once
// How many demonstrations of the pool carry each label (every label of the set, zero counts included,
// in label-id order). Column Share holds the fraction 0..1 under Qt::UserRole for the bar delegate.
#include <string>
#include <vector>
#include "ui/models/table_model.h"

#include "icl/pool_source.h"

namespace dbsa::ui {

class LabelHistogramModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Label, Count, Share, ColumnCount };
  explicit LabelHistogramModel(QObject* parent = nullptr);

  void set_pool(const LoadedPool* pool);
  int64_t count(int row) const { return counts_[static_cast<size_t>(row)]; }

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<std::string> labels_;
  std::vector<int64_t> counts_;
  int64_t total_ = 0;
};

}  // namespace dbsa::ui
