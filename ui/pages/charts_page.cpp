#include "ui/pages/charts_page.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include "store/chart_data.h"
#include "store/results_db.h"
#include "ui/charts/chart_builder.h"
#include "ui/charts/chart_export.h"
#include "ui/pages/error_dialog.h"

namespace dbsa::ui {

ChartsPage::ChartsPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  kind_ = new QComboBox(this);
  for (const auto& k : chart_kind_names()) kind_->addItem(QString::fromStdString(k));
  dataset_ = new QLineEdit(this);
  dataset_->setPlaceholderText(tr("dataset (optional)"));
  model_ = new QComboBox(this);
  model_->setToolTip(tr("Only the runs of one model; with all models, each method is drawn per model"));
  model_->addItem(tr("all models"));
  width_ = new QSpinBox(this);
  width_->setRange(kMinChartSide, kMaxChartSide);
  width_->setValue(1000);
  width_->setPrefix(tr("width "));
  height_ = new QSpinBox(this);
  height_->setRange(kMinChartSide, kMaxChartSide);
  height_->setValue(640);
  height_->setPrefix(tr("height "));
  auto* exp = new QPushButton(tr("Export…"), this);
  exp->setShortcut(QKeySequence::Save);
  top->addWidget(kind_);
  top->addWidget(dataset_);
  top->addWidget(model_);
  top->addStretch(1);
  top->addWidget(width_);
  top->addWidget(height_);
  top->addWidget(exp);
  layout->addLayout(top);
  plot_box_ = new QVBoxLayout;
  layout->addLayout(plot_box_, 1);
  note_ = new QLabel(tr("Choose a results database on the Runs page."), this);
  note_->setWordWrap(true);
  layout->addWidget(note_);
  exported_ = new QLabel(this);
  exported_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(exported_);

  connect(kind_, &QComboBox::currentTextChanged, this, [this] { redraw(); });
  connect(dataset_, &QLineEdit::editingFinished, this, [this] { redraw(); });
  connect(model_, &QComboBox::activated, this, [this] { redraw(); });
  connect(exp, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, tr("Export chart"), kind_->currentText() + ".png",
                                                   tr("Images (*.png *.pdf *.svg)"));
    if (f.isEmpty()) return;
    try {
      export_to(f, width_->value(), height_->value());
    } catch (const std::exception& e) {
      show_error(this, tr("Export chart"), QString::fromStdString(e.what()));
    }
  });
}

void ChartsPage::set_db(const QString& file) {
  db_ = file;
  redraw();
}

void ChartsPage::set_model(const QString& model) {
  model_->setCurrentIndex(std::max(0, model_->findText(model)));
  redraw();
}

void ChartsPage::set_kind(const QString& kind) {
  kind_->setCurrentText(kind);
}

int ChartsPage::redraw() {
  // build_chart wants a fresh plot (it adds title and legend rows to the layout).
  delete plot_;
  plot_ = new QCustomPlot(this);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
  plot_box_->addWidget(plot_);
  if (db_.isEmpty() || !std::filesystem::exists(db_.toStdString())) {
    note_->setText(tr("Choose a results database on the Runs page."));
    return 0;
  }
  try {
    ResultsDb db(db_.toStdString(), OpenMode::ReadOnly);
    std::optional<std::string> dataset;
    if (!dataset_->text().isEmpty()) dataset = dataset_->text().toStdString();
    // The model list of this database; the choice stays when it still has runs.
    const QString chosen = model_->currentIndex() > 0 ? model_->currentText() : QString();
    {
      const QSignalBlocker quiet(model_);
      model_->clear();
      model_->addItem(tr("all models"));
      for (const auto& m : chart_models(db)) model_->addItem(QString::fromStdString(m));
      model_->setCurrentIndex(std::max(0, model_->findText(chosen)));
    }
    const std::string model =
        model_->currentIndex() > 0 ? model_->currentText().toStdString() : std::string();
    const ChartData chart =
        build_chart_data(db, parse_chart_kind(kind_->currentText().toStdString()), dataset, model);
    const int series = build_chart(*plot_, chart);
    if (plot_->isVisible()) plot_->replot();  // a hidden plot replots when first shown
    QString note = tr("%1 of %2: %3 series. Wheel: zoom, drag: pan; Export writes PNG, PDF or SVG at the "
                      "size set above.")
                       .arg(kind_->currentText(), QFileInfo(db_).fileName())
                       .arg(series);
    if (!chart.warning.empty())
      note = tr("⚠ %1 (the model box above).")
                 .arg(QString::fromStdString(chart.warning)
                          .replace(QStringLiteral("; choose one with --model"),
                                   QStringLiteral("; choose one"))) +
             "\n" + note;
    note_->setText(note);
    return series;
  } catch (const std::exception& e) {
    // An empty or mixed database is a state to explain, not an error to pop up on every redraw.
    note_->setText(QString::fromStdString(e.what()));
    if (plot_->isVisible()) plot_->replot();  // a hidden plot replots when first shown
    return 0;
  }
}

void ChartsPage::export_to(const QString& file, int width, int height) {
  export_chart(*plot_, file.toStdString(), width, height);
  exported_->setText(tr("Saved %1×%2 chart to %3")
                         .arg(width)
                         .arg(height)
                         .arg(QDir::toNativeSeparators(QFileInfo(file).absoluteFilePath())));
}

QString ChartsPage::export_text() const {
  return exported_->text();
}

QSize ChartsPage::plot_size() const {
  return plot_ ? plot_->size() : QSize();
}

QString ChartsPage::note_text() const {
  return note_->text();
}

}  // namespace dbsa::ui
