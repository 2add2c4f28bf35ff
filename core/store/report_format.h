#pragma once
// Renderings of report rows: JSON (machine-readable, full precision), CSV (spreadsheets), a Markdown
// table (report.md) and an aligned text table (the terminal default).
#include <span>
#include <string>
#include <vector>

#include "store/report.h"

namespace dbsa {

// {"format": "dbsa-report", "version": 1, "percentile": ..., "rows": [...], "abandoned_runs": [...]};
// a missing ratio is null.
std::string report_json(std::span<const ReportRow> rows, std::span<const RunRecord> abandoned = {});
// Header line then one line per row; RFC 4180 quoting; a missing ratio is an empty field.
std::string report_csv(std::span<const ReportRow> rows);
std::string report_markdown(std::span<const ReportRow> rows);
std::string report_text(std::span<const ReportRow> rows);
// Columns padded to their widest cell (in code points, so "±" keeps them straight) and joined by two
// spaces: the first `text_cols` columns left-aligned, the rest right-aligned so digits line up.
std::string aligned_table(const std::vector<std::vector<std::string>>& table, size_t text_cols);
// `v` with `decimals` digits after the point ("%.*f"): the numbers of the text tables.
std::string fixed_text(double v, int decimals);
// Lines naming the abandoned runs (report.h's abandoned_runs), empty when there are none; the text and
// Markdown reports end with them.
std::string abandoned_runs_note(std::span<const RunRecord> abandoned);

}  // namespace dbsa
