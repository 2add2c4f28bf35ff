#include "ui/models/retrieved_demo_model.h"

namespace dbsa::ui {

RetrievedDemoModel::RetrievedDemoModel(QObject* parent)
    : TableModel({"block", "demo", "label", "text"}, parent) {}

int RetrievedDemoModel::rows() const {
  return static_cast<int>(rows_.size());
}

void RetrievedDemoModel::clear() {
  beginResetModel();
  rows_.clear();
  endResetModel();
}

void RetrievedDemoModel::set_blocks(const std::vector<SelectedBlock>& blocks, const BlockCache& cache,
                                    const LoadedPool* pool) {
  beginResetModel();
  rows_.clear();
  for (const auto& b : blocks) {
    const BlockRecord& rec = cache.block(b.block);
    for (size_t i = 0; i < rec.demo_ids.size(); ++i) {
      DemoRow r;
      r.block = b.block;
      r.demo_id = rec.demo_ids[i];
      if (i < rec.labels.size()) r.label = rec.labels[i];
      if (pool && r.demo_id >= 0 && static_cast<size_t>(r.demo_id) < pool->demos.size())
        r.text = pool->demos[static_cast<size_t>(r.demo_id)].text;
      rows_.push_back(std::move(r));
    }
  }
  endResetModel();
}

QVariant RetrievedDemoModel::data(const QModelIndex& index, int role) const {
  if (!in_table(index)) return {};
  const DemoRow& r = rows_[static_cast<size_t>(index.row())];
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  switch (index.column()) {
    case Block:
      return r.block;
    case Demo:
      return static_cast<qlonglong>(r.demo_id);
    case Label:
      return QString::fromStdString(r.label);
    case Text:
      return QString::fromStdString(r.text);
    default:
      return {};
  }
}

}  // namespace dbsa::ui
