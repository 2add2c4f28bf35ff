#include "ui/models/demo_table_model.h"

namespace dbsa::ui {

DemoTableModel::DemoTableModel(QObject* parent) : TableModel({"#", "label", "text"}, parent) {}

int DemoTableModel::rows() const {
  return pool_ ? static_cast<int>(pool_->demos.size()) : 0;
}

void DemoTableModel::set_pool(std::shared_ptr<const LoadedPool> pool) {
  beginResetModel();
  pool_ = std::move(pool);
  endResetModel();
}

QVariant DemoTableModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const Example& e = pool_->demos[static_cast<size_t>(index.row())];
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Index:
        return index.row();
      case Label:
        return QString::fromStdString(e.label);
      case Text:
        return QString::fromStdString(e.text);
      default:
        return {};
    }
  }
  if (role == Qt::ToolTipRole && index.column() == Text) return QString::fromStdString(e.text);
  return {};
}

}  // namespace dbsa::ui
