#include "ui/models/cache_list_model.h"

#include <QLocale>

namespace dbsa::ui {

CacheListModel::CacheListModel(QObject* parent)
    : TableModel(
          {"cache", "model", "weights", "dataset", "layout", "blocks", "tokens", "size", "created", "error"},
          parent) {}

int CacheListModel::rows() const {
  return static_cast<int>(rows_.size());
}

QString byte_size_text(uint64_t bytes) {
  return QLocale::c().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

std::vector<CacheRow> CacheListModel::list_store(const std::filesystem::path& root) {
  return list_caches(root);
}

void CacheListModel::set_rows(std::vector<CacheRow> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

int CacheListModel::row_of(const std::filesystem::path& dir) const {
  for (size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].summary.dir == dir) return static_cast<int>(i);
  return -1;
}

QVariant CacheListModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const CacheRow& r = rows_[static_cast<size_t>(index.row())];
  const CacheSummary& s = r.summary;
  const bool ok = s.error.empty();
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Folder:
        return QString::fromStdString(s.digest).left(12);
      case Model:
        return QString::fromStdString(std::filesystem::path(r.model_path).filename().string());
      case Weights:
        return QString::fromStdString(r.weights);
      case Dataset:
        return QString::fromStdString(r.dataset);
      case Layout:
        return ok ? QString::fromStdString(cache_layout_text(s.meta.key)) : QString();
      case Blocks:
        return ok ? QVariant(s.n_blocks) : QVariant();
      case Tokens:
        return ok ? QVariant(static_cast<qlonglong>(s.n_tokens)) : QVariant();
      case Size:
        return byte_size_text(s.bytes);
      case Created:
        return QString::fromStdString(s.meta.created_at);
      case Error:
        return QString::fromStdString(s.error);
      default:
        return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    if (index.column() == Folder) return QString::fromStdString(s.dir.string());
    if (index.column() == Model) return QString::fromStdString(r.model_path);
  }
  return {};
}

}  // namespace dbsa::ui
