#include "ui/models/selected_block_model.h"

#include "ui/models/block_table_model.h"

namespace dbsa::ui {

SelectedBlockModel::SelectedBlockModel(QObject* parent)
    : TableModel({"#", "block", "score", "tokens", "forced", "labels"}, parent) {}

int SelectedBlockModel::rows() const {
  return static_cast<int>(blocks_.size());
}

void SelectedBlockModel::set_prediction(const std::vector<SelectedBlock>& blocks, const BlockCache* cache,
                                        const QString& score_name) {
  beginResetModel();
  blocks_ = blocks;
  labels_.clear();
  for (const auto& b : blocks_) labels_.push_back(cache ? label_mix(cache->block(b.block).labels) : "");
  score_name_ = score_name;
  endResetModel();
  Q_EMIT headerDataChanged(Qt::Horizontal, Score, Score);
}

QVariant SelectedBlockModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const SelectedBlock& b = blocks_[static_cast<size_t>(index.row())];
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Position:
        return index.row() + 1;
      case Block:
        return b.block;
      case Score:
        return QString::number(b.score, 'f', 4);
      case Tokens:
        return b.n_tokens;
      case Sink:
        return b.forced ? QStringLiteral("sink") : QString();
      case Labels:
        return QString::fromStdString(labels_[static_cast<size_t>(index.row())]);
      default:
        return {};
    }
  }
  if (role == Qt::UserRole && index.column() == Score) return b.score;
  return {};
}

QVariant SelectedBlockModel::headerData(int section, Qt::Orientation o, int role) const {
  if (section == Score && o == Qt::Horizontal && role == Qt::DisplayRole) return score_name_;
  return TableModel::headerData(section, o, role);
}

}  // namespace dbsa::ui
