#pragma once
// The pool's blocks as the grouping made them: index (block 0 is the sink), demonstrations, tokens of
// the segment pre-encoding sees, the label mix and the start of the block's text (full text as tooltip).
#include <string>
#include <vector>
#include "ui/models/table_model.h"

#include "icl/grouping.h"
#include "icl/pool_source.h"

namespace dbsa::ui {

struct BlockRow {
  int32_t demos = 0;
  int64_t tokens = 0;
  std::string label_mix;  // "where×3, who×2"
  std::string text;
};

class BlockTableModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Block, Demos, Tokens, Labels, Text, ColumnCount };
  explicit BlockTableModel(QObject* parent = nullptr);

  // texts/tokens per block (may be empty: those columns stay blank).
  void set_blocks(const LoadedPool* pool, const Blocks& blocks, const std::vector<std::string>& texts,
                  const std::vector<size_t>& tokens);
  const BlockRow& row(int r) const { return rows_[static_cast<size_t>(r)]; }

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<BlockRow> rows_;
};

// "a×3, b×2" for labels in order of first appearance.
std::string label_mix(const std::vector<std::string>& labels);

}  // namespace dbsa::ui
