#pragma once
// A run's per-query predictions, opened from the Runs page (double click): the drill-down from a
// run's accuracy to the queries behind it. Read from the results database read-only when opened.
#include <QDialog>
#include <filesystem>

#include "store/run_record.h"

namespace dbsa::ui {

class PredictionTableModel;

class RunDetailDialog : public QDialog {
  Q_OBJECT
 public:
  // Throws the store's error (naming the file) when the database cannot be read.
  RunDetailDialog(const std::filesystem::path& db, const RunRecord& run, QWidget* parent = nullptr);

  PredictionTableModel& predictions() { return *predictions_; }
  QString summary_text() const;

 private:
  PredictionTableModel* predictions_;
  QString summary_;
};

}  // namespace dbsa::ui
