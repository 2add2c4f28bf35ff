#pragma once
// The demonstrations a query saw: every demonstration of the selected blocks, in context order, with its
// block, its index in the cache's pool, its label and (when the cache's pool is the one loaded on the Pool
// page) its text.
#include <string>
#include <vector>
#include "ui/models/table_model.h"

#include "cache/block_cache.h"
#include "icl/pool_source.h"
#include "method/prediction.h"

namespace dbsa::ui {

struct DemoRow {
  int32_t block = 0;
  int64_t demo_id = 0;
  std::string label;
  std::string text;
};

class RetrievedDemoModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Block, Demo, Label, Text, ColumnCount };
  explicit RetrievedDemoModel(QObject* parent = nullptr);

  // pool: the demonstrations the cache was built from, or null when unknown (no texts).
  void set_blocks(const std::vector<SelectedBlock>& blocks, const BlockCache& cache, const LoadedPool* pool);
  void clear();  // no query

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<DemoRow> rows_;
};

}  // namespace dbsa::ui
