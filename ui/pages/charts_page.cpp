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
  config_ = new QComboBox(this);
  config_->setToolTip(
      tr("Only the runs of one configuration (blocks, demos per block, select, S, P, "
         "grouping, order, test size); with all, a method's runs are pooled"));
  config_->addItem(tr("all configurations"));
  config_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  config_->setMinimumContentsLength(18);
  runs_ = new QComboBox(this);
  runs_->setToolTip(tr("Only the runs chosen on the Runs page (select rows, then \"Chart selected runs\")"));
  runs_->addItem(tr("all runs"));
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
  top->addWidget(config_);
  top->addWidget(runs_);
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
  connect(config_, &QComboBox::activated, this, [this] { redraw(); });
  connect(runs_, &QComboBox::activated, this, [this](int index) {
    if (index == 0) chosen_runs_.clear();
    redraw();
  });
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

void ChartsPage::set_config(const QString& config) {
  config_->setCurrentIndex(std::max(0, config_->findText(config)));
  redraw();
}

void ChartsPage::set_runs(const std::set<int64_t>& runs) {
  chosen_runs_ = runs;
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
  chart_.reset();
  if (db_.isEmpty() || !std::filesystem::exists(db_.toStdString())) {
    note_->setText(tr("Choose a results database on the Runs page."));
    return 0;
  }
  try {
    ResultsDb db(db_.toStdString(), OpenMode::ReadOnly);
    std::optional<std::string> dataset;
    if (!dataset_->text().isEmpty()) dataset = dataset_->text().toStdString();
    // The model and configuration lists of this database; a choice stays while it still has runs.
    const auto refill = [](QComboBox* box, const QString& all, const std::vector<std::string>& items) {
      const QString chosen = box->currentIndex() > 0 ? box->currentText() : QString();
      const QSignalBlocker quiet(box);
      box->clear();
      box->addItem(all);
      for (const auto& m : items) box->addItem(QString::fromStdString(m));
      box->setCurrentIndex(std::max(0, box->findText(chosen)));
    };
    std::vector<RunRecord> runs = db.runs();  // read once for the boxes and the chart
    refill(model_, tr("all models"), chart_models(runs));
    RunFilter filter;
    if (model_->currentIndex() > 0) filter.model = model_->currentText().toStdString();
    refill(config_, tr("all configurations"), chart_configs(runs, filter.model));
    if (config_->currentIndex() > 0) filter.config = config_->currentText().toStdString();
    {
      const QSignalBlocker quiet(runs_);
      runs_->clear();
      runs_->addItem(tr("all runs"));
      if (!chosen_runs_.empty()) {
        QStringList ids;
        for (int64_t id : chosen_runs_) ids << QString::number(id);
        runs_->addItem(tr("runs %1").arg(ids.join(QStringLiteral(", "))));
        runs_->setCurrentIndex(1);
      }
    }
    filter.runs = chosen_runs_;
    const ChartData chart = build_chart_data(
        db, std::move(runs), parse_chart_kind(kind_->currentText().toStdString()), dataset, filter);
    const int series = build_chart(*plot_, chart);
    follow_palette(*plot_, palette());
    chart_ = chart;
    if (plot_->isVisible()) plot_->replot();  // a hidden plot replots when first shown
    QString note = tr("%1 of %2: %3 series. Wheel: zoom, drag: pan; Export writes PNG, PDF or SVG at the "
                      "size set above.")
                       .arg(kind_->currentText(), QFileInfo(db_).fileName())
                       .arg(series);
    if (!chart.warning.empty())
      note = tr("⚠ %1.").arg(QString::fromStdString(chart.warning)
                                 .replace(QStringLiteral("choose one with --model"),
                                          tr("choose one in the model box above"))
                                 .replace(QStringLiteral("choose one with --config"),
                                          tr("choose one in the configuration box above"))) +
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
  if (chart_) {
    // Drawn anew as `dbsa chart` draws it (white, whatever the window's palette), at the zoom shown.
    QCustomPlot out;
    build_chart(out, *chart_);
    out.xAxis->setRange(plot_->xAxis->range());
    out.yAxis->setRange(plot_->yAxis->range());
    export_chart(out, file.toStdString(), width, height);
  } else {
    export_chart(*plot_, file.toStdString(), width, height);
  }
  exported_->setText(tr("Saved %1×%2 chart to %3")
                         .arg(width)
                         .arg(height)
                         .arg(QDir::toNativeSeparators(QFileInfo(file).absoluteFilePath())));
}

QString ChartsPage::export_text() const {
  return exported_->text();
}

void ChartsPage::changeEvent(QEvent* e) {
  QWidget::changeEvent(e);
  if (e->type() != QEvent::PaletteChange || !plot_) return;
  follow_palette(*plot_, palette());
  plot_->replot();
}

QColor ChartsPage::plot_background() const {
  // QCustomPlot keeps its background brush private: read a corner of a small render.
  return plot_->toPixmap(32, 32).toImage().pixelColor(0, 0);
}

QSize ChartsPage::plot_size() const {
  return plot_ ? plot_->size() : QSize();
}

QString ChartsPage::note_text() const {
  return note_->text();
}

}  // namespace dbsa::ui
