#pragma once
// Draws a cell's Qt::UserRole fraction (0..1) as the style's own progress bar with the display text on
// it: the label histogram's bars.
#include <QStyledItemDelegate>

namespace dbsa::ui {

class BarDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace dbsa::ui
