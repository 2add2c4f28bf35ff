#include "ui/pages/page_widgets.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>

namespace dbsa::ui {

QSpinBox* counter(const QString& prefix, int lo, int hi, int value, QWidget* parent) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setPrefix(prefix);
  s->setValue(value);
  return s;
}

QSpinBox* block_counter(const QString& prefix, int value, QWidget* parent) {
  QSpinBox* s = counter(prefix, -1, 1000000, value, parent);
  s->setSpecialValueText(prefix + "all");
  return s;
}

PathField path_field(QWidget* parent, const QString& placeholder) {
  PathField f{new QHBoxLayout, new QLineEdit(parent), new QPushButton(QStringLiteral("…"), parent)};
  f.edit->setPlaceholderText(placeholder);
  f.row->addWidget(f.edit, 1);
  f.row->addWidget(f.browse);
  return f;
}

QTableView* table_view(QAbstractItemModel* model, QWidget* parent, bool fit_columns) {
  auto* v = new QTableView(parent);
  v->setModel(model);
  v->setSelectionBehavior(QAbstractItemView::SelectRows);
  v->verticalHeader()->hide();
  v->setWordWrap(false);
  if (fit_columns) v->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  v->horizontalHeader()->setStretchLastSection(true);
  return v;
}

}  // namespace dbsa::ui
