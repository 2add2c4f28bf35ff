#pragma once
// The pool's demonstrations: index, label, text (one row each, in pool order).
#include <memory>
#include "ui/models/table_model.h"

#include "icl/pool_source.h"

namespace dbsa::ui {

class DemoTableModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Index, Label, Text, ColumnCount };
  explicit DemoTableModel(QObject* parent = nullptr);

  void set_pool(std::shared_ptr<const LoadedPool> pool);

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::shared_ptr<const LoadedPool> pool_;
};

}  // namespace dbsa::ui
