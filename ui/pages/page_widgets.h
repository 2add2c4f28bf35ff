#pragma once
// The few widget recipes every page repeats, made one way: counters with a prefix (and "all" for block
// counts), a path field with its browse button, and a read-only table over one of the item models.
#include <QString>

class QAbstractItemModel;
class QHBoxLayout;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QWidget;

namespace dbsa::ui {

QSpinBox* counter(const QString& prefix, int lo, int hi, int value, QWidget* parent);
// kAllBlocks (engine/block_layout.h) shows as "<prefix>all".
QSpinBox* block_counter(const QString& prefix, int value, QWidget* parent);

struct PathField {
  QHBoxLayout* row;
  QLineEdit* edit;
  QPushButton* browse;
};
PathField path_field(QWidget* parent, const QString& placeholder = {});

// Rows selected whole, no row numbers, last column stretched; fit_columns sizes the others to contents.
QTableView* table_view(QAbstractItemModel* model, QWidget* parent, bool fit_columns);

}  // namespace dbsa::ui
