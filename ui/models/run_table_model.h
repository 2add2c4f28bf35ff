#pragma once
// The runs of a results database (every status), with their main parameters and, for finished runs,
// accuracy and per-query latency from the stored aggregates. Read-only: the database is opened read-only
// on each refresh, so a running evaluation in another process or thread is never disturbed.
#include <filesystem>
#include <optional>
#include <vector>
#include "ui/models/table_model.h"

#include "store/run_list.h"

namespace dbsa::ui {

class RunTableModel : public TableModel {
  Q_OBJECT
 public:
  enum Column {
    Id,
    Method,
    Model,
    Dataset,
    Status,
    Preset,
    Blocks,
    Demos,
    Select,
    Sink,
    Prev,
    Seed,
    Context,
    Accuracy,
    Queries,
    QueryP50,
    Setup,
    Started,
    ColumnCount
  };
  explicit RunTableModel(QObject* parent = nullptr);
  // The role a sorting proxy sorts by: numbers as numbers (context, accuracy, latency, setup), the rest as
  // shown.
  static constexpr int kSortRole = Qt::UserRole + 1;

  // Throws the store's error (naming the file) when it cannot be read; an absent file lists nothing.
  void refresh(const std::filesystem::path& db);
  const RunRow& row(int r) const { return rows_[static_cast<size_t>(r)]; }

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  int rows() const override;
  std::vector<RunRow> rows_;
};

}  // namespace dbsa::ui
