#pragma once
// The caches of a KV block store as core lists them (method/cache_listing.h): folder, model file, how it
// held its weights, dataset, layout (S, P, block size, grouping, dtype), blocks, tokens, bytes on disk,
// creation time. Unreadable folders are listed with their error so they can still be deleted.
#include <string>
#include <vector>
#include "ui/models/table_model.h"

#include "method/cache_listing.h"

namespace dbsa::ui {

using CacheRow = CacheListing;

class CacheListModel : public TableModel {
  Q_OBJECT
 public:
  enum Column { Folder, Model, Weights, Dataset, Layout, Blocks, Tokens, Size, Created, Error, ColumnCount };
  explicit CacheListModel(QObject* parent = nullptr);

  // The caches of `root` with their manifests' model and dataset (an absent root lists nothing). Reads
  // every catalog: pages run it off the GUI thread and hand the rows to set_rows.
  static std::vector<CacheRow> list_store(const std::filesystem::path& root);
  void set_rows(std::vector<CacheRow> rows);
  // set_rows(list_store(root)), for tests and tools without a GUI thread to keep free.
  void refresh(const std::filesystem::path& root) { set_rows(list_store(root)); }
  const CacheRow& row(int r) const { return rows_[static_cast<size_t>(r)]; }
  int row_of(const std::filesystem::path& dir) const;  // -1 when not listed

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<CacheRow> rows_;
};

// "1.5 MiB"
QString byte_size_text(uint64_t bytes);
// "S=1 P=2, 5/block, in-order, f16" ("all" for kAllBlocks).
QString layout_text(const CacheKey& key);

}  // namespace dbsa::ui
