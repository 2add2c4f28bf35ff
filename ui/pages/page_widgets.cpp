#include "ui/pages/page_widgets.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVariant>

#include "ui/shell/background_job.h"

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

namespace {

constexpr char kWanted[] = "dbsaWanted";
constexpr char kJob[] = "dbsaJob";

void apply_control_state(QWidget* control) {
  const QVariant wanted = control->property(kWanted);
  const auto* job = qobject_cast<const BackgroundJob*>(control->property(kJob).value<QObject*>());
  control->setEnabled((!wanted.isValid() || wanted.toBool()) && !(job && job->running()));
}

}  // namespace

void start_controls(BackgroundJob& job, std::initializer_list<QWidget*> controls) {
  for (QWidget* control : controls) {
    control->setProperty(kJob, QVariant::fromValue<QObject*>(&job));
    QPointer<QWidget> guarded(control);
    const auto apply = [guarded] {
      if (guarded) apply_control_state(guarded);
    };
    QObject::connect(&job, &BackgroundJob::started, control, apply);
    QObject::connect(&job, &BackgroundJob::done, control, apply);
    apply_control_state(control);
  }
}

void set_control_wanted(QWidget* control, bool wanted) {
  control->setProperty(kWanted, wanted);
  apply_control_state(control);
}

}  // namespace dbsa::ui
