#include "ui/models/label_histogram_model.h"

#include <algorithm>

namespace dbsa::ui {

LabelHistogramModel::LabelHistogramModel(QObject* parent) : TableModel({"label", "demos", "share"}, parent) {}

int LabelHistogramModel::rows() const {
  return static_cast<int>(labels_.size());
}

void LabelHistogramModel::set_pool(const LoadedPool* pool) {
  beginResetModel();
  labels_.clear();
  counts_.clear();
  total_ = 0;
  if (pool) {
    labels_ = pool->labels;
    counts_.assign(labels_.size(), 0);
    for (const Example& e : pool->demos) {
      // A pool file's labels are collected as read, so the id may be unset: find the wording.
      auto id = e.label_id;
      if (id < 0 || static_cast<size_t>(id) >= labels_.size())
        id = static_cast<int>(std::find(labels_.begin(), labels_.end(), e.label) - labels_.begin());
      if (static_cast<size_t>(id) < labels_.size()) ++counts_[static_cast<size_t>(id)];
    }
    total_ = static_cast<int64_t>(pool->demos.size());
  }
  endResetModel();
}

QVariant LabelHistogramModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const auto r = static_cast<size_t>(index.row());
  const double share = total_ > 0 ? static_cast<double>(counts_[r]) / static_cast<double>(total_) : 0.0;
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Label:
        return QString::fromStdString(labels_[r]);
      case Count:
        return static_cast<qlonglong>(counts_[r]);
      case Share:
        return QStringLiteral("%1 %").arg(100.0 * share, 0, 'f', 1);
      default:
        return {};
    }
  }
  if (role == Qt::UserRole && index.column() == Share) return share;
  if (role == Qt::TextAlignmentRole && index.column() != Label)
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  return {};
}

}  // namespace dbsa::ui
