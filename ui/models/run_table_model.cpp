#include "ui/models/run_table_model.h"

#include "engine/block_layout.h"
#include "store/results_db.h"
#include "store/run_owner.h"

namespace dbsa::ui {
namespace {

// A number stays a number (the column sorts numerically); every-block shows as "all".
QVariant block_count(int n) {
  return n == kAllBlocks ? QVariant(QStringLiteral("all")) : QVariant(n);
}

}  // namespace

RunTableModel::RunTableModel(QObject* parent)
    : TableModel({"id", "method", "model", "dataset", "status", "preset", "blocks", "demos/block", "select",
                  "S", "P", "seed", "context", "accuracy", "queries", "p50 ms", "setup s", "started"},
                 parent) {}

int RunTableModel::rows() const {
  return static_cast<int>(rows_.size());
}

void RunTableModel::refresh(const std::filesystem::path& db) {
  std::vector<RunRow> rows;
  if (!db.empty() && std::filesystem::exists(db)) {
    const ResultsDb results(db, OpenMode::ReadOnly);
    rows = list_runs(results);
  }
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const RunRow& row = rows_[static_cast<size_t>(index.row())];
  const RunRecord& r = row.record;
  const RunParams& p = r.info.params;
  if (role == Qt::ToolTipRole && index.column() == Status) return QString::fromStdString(r.error);
  if (role == Qt::ToolTipRole && index.column() == Context)
    return tr("Mean context tokens a query attended (selected blocks or demonstrations, without the query)");
  if (role == Qt::ToolTipRole && index.column() == Model)
    return QString::fromStdString(r.info.model_path + "\n" + r.info.model_fingerprint);
  const auto& a = row.aggregates;
  if (role == kSortRole) {
    switch (index.column()) {
      case Context:
        return a ? QVariant(a->tokens_attended_mean) : QVariant(-1.0);
      case Accuracy:
        return a ? QVariant(a->accuracy) : QVariant(-1.0);
      case QueryP50:
        return a ? QVariant(a->query_p50_seconds) : QVariant(-1.0);
      case Setup:
        return r.setup.setup_seconds;
      default:
        return data(index, Qt::DisplayRole);
    }
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Id:
      return static_cast<qlonglong>(r.id);
    case Method:
      return QString::fromStdString(r.info.method);
    case Model:
      return QString::fromStdString(run_model_name(r.info));
    case Dataset:
      return QString::fromStdString(r.info.dataset);
    case Status:
      return QString::fromStdString(run_status_text(r));
    case Preset: {
      const std::string preset = run_preset(r.info);
      return preset.empty() ? tr("custom") : QString::fromStdString(preset);
    }
    case Blocks:
      return p.blocks;
    case Demos:
      return p.block_demos;
    case Select:
      return block_count(p.select);
    case Sink:
      return block_count(p.sink);
    case Prev:
      return block_count(p.prev);
    case Seed:
      return static_cast<qlonglong>(p.seed);
    case Context:
      return a ? QVariant(QString::number(a->tokens_attended_mean, 'f', 0)) : QVariant();
    case Accuracy:
      return a ? QVariant(QString::number(a->accuracy, 'f', 4)) : QVariant();
    case Queries:
      return a ? QVariant(static_cast<qlonglong>(a->n)) : QVariant();
    case QueryP50:
      return a ? QVariant(QString::number(1e3 * a->query_p50_seconds, 'f', 2)) : QVariant();
    case Setup:
      return QString::number(r.setup.setup_seconds, 'f', 2) + (r.setup.cache_hit ? " (hit)" : "");
    case Started:
      return QString::fromStdString(r.info.started_at);
    default:
      return {};
  }
}

}  // namespace dbsa::ui
