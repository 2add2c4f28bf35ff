#pragma once
// The base of the studio's read-only tables: a subclass gives its row count and cells, the column
// count and titles come from the title list it is built with, answered the same way by every table.
#include <QAbstractTableModel>
#include <QStringList>

namespace dbsa::ui {

class TableModel : public QAbstractTableModel {
 public:
  TableModel(QStringList titles, QObject* parent) : QAbstractTableModel(parent), titles_(std::move(titles)) {}

  int rowCount(const QModelIndex& parent = {}) const final { return parent.isValid() ? 0 : rows(); }
  int columnCount(const QModelIndex& parent = {}) const final {
    return parent.isValid() ? 0 : static_cast<int>(titles_.size());
  }
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override {
    if (role != Qt::DisplayRole || o != Qt::Horizontal || section < 0 || section >= titles_.size()) return {};
    return titles_[section];
  }

 protected:
  virtual int rows() const = 0;
  // Whether `index` names a cell of this table (callers then index their rows with index.row()).
  bool in_table(const QModelIndex& index) const { return index.isValid() && index.row() < rows(); }

 private:
  QStringList titles_;
};

}  // namespace dbsa::ui
