#include "ui/models/prediction_table_model.h"

#include <QColor>
#include <QStringList>

namespace dbsa::ui {

PredictionTableModel::PredictionTableModel(QObject* parent)
    : TableModel({"query", "example", "gold", "predicted", "correct", "blocks", "tokens", "ms"}, parent) {}

int PredictionTableModel::rows() const {
  return static_cast<int>(rows_.size());
}

void PredictionTableModel::set_rows(std::vector<PredictionRow> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

QVariant PredictionTableModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const PredictionRow& p = rows_[static_cast<size_t>(index.row())];
  if (role == Qt::ForegroundRole && index.column() == Correct)
    return p.correct ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Query:
      return static_cast<qlonglong>(p.query_index);
    case Example:
      return QString::fromStdString(p.example_id);
    case Gold:
      return QString::fromStdString(p.gold);
    case Predicted:
      return QString::fromStdString(p.prediction);
    case Correct:
      return p.correct ? QStringLiteral("✓") : QStringLiteral("✗");
    case Blocks: {
      QStringList ids;
      for (int b : p.selected_blocks) ids << QString::number(b);
      return ids.join(QStringLiteral(", "));
    }
    case Tokens:
      return static_cast<qlonglong>(p.n_tokens_attended);
    case LatencyMs:
      return QString::number(1e3 * p.total_seconds, 'f', 2);
    default:
      return {};
  }
}

}  // namespace dbsa::ui
