#include "store/merge.h"

#include <string>

#include "store/results_db.h"
#include "store/store_error.h"

namespace dbsa {
namespace {

std::vector<std::string> columns_except(SqliteDb& db, const std::string& table, const std::string& skip) {
  SqliteStatement st(db, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
  std::vector<std::string> out;
  while (st.step())
    if (st.column_text(0) != skip) out.push_back(st.column_text(0));
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

std::string placeholders(size_t n, size_t first) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", ?" : "?") + std::to_string(first + i);
  return out;
}

// Copies the rows of `table` keyed by `key` = src_id in the source, giving them key = dst_id. Columns are
// taken by name from the destination's schema (both sides are at the current version once opened).
void copy_child_rows(SqliteDb& src, SqliteDb& dst, const std::string& table, int64_t src_id, int64_t dst_id) {
  auto cols = columns_except(dst, table, "run_id");
  SqliteStatement sel(src, "SELECT " + join(cols) + " FROM " + table + " WHERE run_id = ?1");
  SqliteStatement ins(dst, "INSERT INTO " + table + " (run_id, " + join(cols) + ") VALUES (?1, " +
                               placeholders(cols.size(), 2) + ")");
  sel.bind(1, src_id);
  while (sel.step()) {
    ins.bind(1, dst_id);
    for (size_t i = 0; i < cols.size(); ++i)
      ins.bind_value(static_cast<int>(i + 2), sel.column_value(static_cast<int>(i)));
    ins.step();
    ins.reset();
  }
}

int64_t copy_run(SqliteDb& src, SqliteDb& dst, int64_t src_id) {
  auto cols = columns_except(dst, "runs", "id");
  SqliteStatement sel(src, "SELECT " + join(cols) + " FROM runs WHERE id = ?1");
  sel.bind(1, src_id);
  if (!sel.step()) src.fail_plain("run " + std::to_string(src_id) + " vanished while merging");
  SqliteStatement ins(dst,
                      "INSERT INTO runs (" + join(cols) + ") VALUES (" + placeholders(cols.size(), 1) + ")");
  for (size_t i = 0; i < cols.size(); ++i)
    ins.bind_value(static_cast<int>(i + 1), sel.column_value(static_cast<int>(i)));
  ins.step();
  int64_t dst_id = dst.last_insert_rowid();
  copy_child_rows(src, dst, "predictions", src_id, dst_id);
  copy_child_rows(src, dst, "aggregates", src_id, dst_id);
  return dst_id;
}

MergeStats merge_one(ResultsDb& destination, ResultsDb& source) {
  MergeStats stats;
  stats.source = source.file();
  SqliteDb& dst = destination.connection();
  SqliteDb& src = source.connection();
  SqliteTransaction tx(dst);
  SqliteStatement find(dst, "SELECT id, status FROM runs WHERE uuid = ?1");
  SqliteStatement remove(dst, "DELETE FROM runs WHERE id = ?1");  // predictions/aggregates cascade
  for (const RunRecord& run : source.runs()) {
    find.bind(1, run.info.uuid);
    bool present = find.step();
    int64_t dst_id = present ? find.column_int(0) : 0;
    bool dst_finished = present && find.column_text(1) == "finished";
    find.reset();
    if (present && (dst_finished || run.status != RunStatus::Finished)) {
      stats.skipped += 1;
      continue;
    }
    if (present) {
      remove.bind(1, dst_id);
      remove.step();
      remove.reset();
      stats.replaced += 1;
    } else {
      stats.copied += 1;
    }
    copy_run(src, dst, run.id);
  }
  tx.commit();
  return stats;
}

}  // namespace

std::vector<MergeStats> merge_into(ResultsDb& destination,
                                   const std::vector<std::filesystem::path>& sources) {
  std::vector<ResultsDb> opened;
  opened.reserve(sources.size());
  for (const auto& s : sources) {
    std::error_code ec;
    if (std::filesystem::equivalent(s, destination.file(), ec))
      throw StoreError("results database '" + s.string() + "': cannot merge a database into itself");
    opened.emplace_back(s, OpenMode::ReadOnly);
  }
  std::vector<MergeStats> stats;
  for (ResultsDb& src : opened) stats.push_back(merge_one(destination, src));
  return stats;
}

std::vector<MergeStats> merge_into(const std::filesystem::path& destination,
                                   const std::vector<std::filesystem::path>& sources) {
  // Sources first: a missing or foreign source must not leave a freshly created, empty destination.
  for (const auto& s : sources) ResultsDb check(s, OpenMode::ReadOnly);
  ResultsDb dst(destination, OpenMode::Create);
  return merge_into(dst, sources);
}

}  // namespace dbsa
