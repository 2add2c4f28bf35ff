#include "ui/models/block_table_model.h"

#include <utility>

namespace dbsa::ui {

BlockTableModel::BlockTableModel(QObject* parent)
    : TableModel({"block", "demos", "tokens", "labels", "text"}, parent) {}

int BlockTableModel::rows() const {
  return static_cast<int>(rows_.size());
}

std::string label_mix(const std::vector<std::string>& labels) {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& l : labels) {
    auto it = counts.begin();
    while (it != counts.end() && it->first != l) ++it;
    if (it == counts.end())
      counts.emplace_back(l, 1);
    else
      ++it->second;
  }
  std::string out;
  for (const auto& [l, n] : counts) out += (out.empty() ? "" : ", ") + l + "×" + std::to_string(n);
  return out;
}

void BlockTableModel::set_blocks(const LoadedPool* pool, const Blocks& blocks,
                                 const std::vector<std::string>& texts, const std::vector<size_t>& tokens) {
  beginResetModel();
  rows_.clear();
  if (pool) {
    for (size_t b = 0; b < blocks.size(); ++b) {
      BlockRow r;
      r.demos = static_cast<int32_t>(blocks[b].size());
      std::vector<std::string> labels;
      for (const size_t d : blocks[b]) labels.push_back(pool->demos.at(d).label);
      r.label_mix = label_mix(labels);
      r.tokens = b < tokens.size() ? static_cast<int64_t>(tokens[b]) : -1;
      if (b < texts.size()) r.text = texts[b];
      rows_.push_back(std::move(r));
    }
  }
  endResetModel();
}

QVariant BlockTableModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const BlockRow& r = rows_[static_cast<size_t>(index.row())];
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Block:
        return index.row() == 0 ? QStringLiteral("0 (sink)") : QString::number(index.row());
      case Demos:
        return r.demos;
      case Tokens:
        return r.tokens >= 0 ? QVariant(static_cast<qlonglong>(r.tokens)) : QVariant();
      case Labels:
        return QString::fromStdString(r.label_mix);
      case Text:
        return QString::fromStdString(r.text).simplified().left(160);
      default:
        return {};
    }
  }
  if (role == Qt::ToolTipRole && index.column() == Text) return QString::fromStdString(r.text);
  return {};
}

}  // namespace dbsa::ui
