#pragma once
// The few widget recipes every page repeats, made one way: counters with a prefix (and "all" for block
// counts), a path field with its browse button, and a read-only table over one of the item models.
#include <QString>
#include <initializer_list>

class QAbstractItemModel;
class QHBoxLayout;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QWidget;

namespace dbsa::ui {

class BackgroundJob;

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

// Controls that start a job are disabled while the studio's job runs (BackgroundJob::start refuses a
// second job anyway) and take back their own state when it ends, or when a job started by its
// predecessor's publish ends. A control's own state (Generate needs an open model) is set with
// set_control_wanted, never with setEnabled.
void start_controls(BackgroundJob& job, std::initializer_list<QWidget*> controls);
void set_control_wanted(QWidget* control, bool wanted);

}  // namespace dbsa::ui
