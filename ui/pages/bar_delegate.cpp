#include "ui/pages/bar_delegate.h"

#include <QApplication>
#include <QStyleOptionProgressBar>

namespace dbsa::ui {

void BarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                        const QModelIndex& index) const {
  const QVariant fraction = index.data(Qt::UserRole);
  if (!fraction.isValid()) {
    QStyledItemDelegate::paint(painter, option, index);
    return;
  }
  QStyleOptionProgressBar bar;
  bar.rect = option.rect.adjusted(2, 2, -2, -2);
  bar.minimum = 0;
  bar.maximum = 1000;
  bar.progress = static_cast<int>(fraction.toDouble() * 1000.0);
  bar.text = index.data(Qt::DisplayRole).toString();
  bar.textVisible = true;
  bar.state = option.state | QStyle::State_Horizontal;
  const QWidget* w = option.widget;
  (w ? w->style() : QApplication::style())->drawControl(QStyle::CE_ProgressBar, &bar, painter, w);
}

}  // namespace dbsa::ui
