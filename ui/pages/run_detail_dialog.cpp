#include "ui/pages/run_detail_dialog.h"

#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include "store/results_db.h"
#include "ui/models/prediction_table_model.h"
#include "ui/pages/page_widgets.h"

namespace dbsa::ui {

RunDetailDialog::RunDetailDialog(const std::filesystem::path& db, const RunRecord& run, QWidget* parent)
    : QDialog(parent), predictions_(new PredictionTableModel(this)) {
  ResultsDb results(db, OpenMode::ReadOnly);
  std::vector<PredictionRow> rows = results.predictions(run.id);
  int64_t correct = 0;
  for (const auto& p : rows) correct += p.correct ? 1 : 0;
  summary_ = tr("Run %1: %2 on %3 with %4 (%5), %6 of %7 queries correct")
                 .arg(run.id)
                 .arg(QString::fromStdString(run.info.method), QString::fromStdString(run.info.dataset),
                      QString::fromStdString(run_model_name(run.info)),
                      QString::fromStdString(run_status_name(run.status)))
                 .arg(correct)
                 .arg(rows.size());
  predictions_->set_rows(std::move(rows));
  setWindowTitle(tr("Run %1 — predictions").arg(run.id));
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(summary_, this);
  label->setWordWrap(true);
  layout->addWidget(label);
  layout->addWidget(table_view(predictions_, this, true), 1);
  resize(900, 520);
}

QString RunDetailDialog::summary_text() const {
  return summary_;
}

}  // namespace dbsa::ui
