#pragma once
// The blocks a query attended to, in context order: block index, retriever score (BM25 or dense), tokens,
// whether it was forced (the sink), and the labels of its demonstrations (from the cache's catalog).
#include <string>
#include <vector>
#include "ui/models/table_model.h"

#include "cache/block_cache.h"
#include "method/prediction.h"

namespace dbsa::ui {

class SelectedBlockModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Position, Block, Score, Tokens, Sink, Labels, ColumnCount };
  explicit SelectedBlockModel(QObject* parent = nullptr);

  // cache may be null (the labels column stays empty).
  void set_prediction(const std::vector<SelectedBlock>& blocks, const BlockCache* cache,
                      const QString& score_name);
  const SelectedBlock& block(int r) const { return blocks_[static_cast<size_t>(r)]; }

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<SelectedBlock> blocks_;
  std::vector<std::string> labels_;
  QString score_name_ = QStringLiteral("score");
};

}  // namespace dbsa::ui
