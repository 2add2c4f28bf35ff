#include "icl/dataset.h"

#include <unordered_map>

#include "text/unicode_bytes.h"

namespace dbsa {

DatasetError::DatasetError(const std::filesystem::path& file, std::size_t line, const std::string& what)
    : std::runtime_error(file.string() + ":" + std::to_string(line) + ": " + what) {}

DatasetError::DatasetError(const std::filesystem::path& file, const std::string& what)
    : std::runtime_error(file.string() + ": " + what) {}

int Dataset::label_index(std::string_view label) const {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == label) return static_cast<int>(i);
  return -1;
}

std::string describe_skips(const std::vector<SkippedRow>& skipped, std::size_t max_listed) {
  if (skipped.empty()) return {};
  std::string s = "skipped " + std::to_string(skipped.size()) + " bad row" + (skipped.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < skipped.size() && i < max_listed; ++i)
    s += "\n  " + skipped[i].file.string() + ":" + std::to_string(skipped[i].line) + ": " + skipped[i].reason;
  if (skipped.size() > max_listed)
    s += "\n  ... and " + std::to_string(skipped.size() - max_listed) + " more";
  return s;
}

std::string display_label(std::string_view raw) {
  std::string s(raw);
  for (char& c : s)
    if (c == '_') c = ' ';
  return s;
}

void check_label_wordings(const std::filesystem::path& file, const std::vector<std::string>& wordings,
                          const std::string& what) {
  std::unordered_map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < wordings.size(); ++i) {
    if (auto bad = find_invalid_utf8(wordings[i]))
      throw DatasetError(file, what + " " + std::to_string(i) + " is not valid UTF-8 at byte " +
                                   std::to_string(bad->offset) + " (" + bad->what + ")");
    const auto [it, fresh] = first.emplace(wordings[i], i);
    if (!fresh)
      throw DatasetError(file, what + " " + std::to_string(i) + " '" + wordings[i] + "' repeats " + what +
                                   " " + std::to_string(it->second) +
                                   " (one wording cannot name two labels)");
  }
}

void RowErrorSink::bad_row(const std::filesystem::path& file, std::size_t line, const std::string& reason) {
  if (!opts_.skip_bad_rows) throw DatasetError(file, line, reason);
  skipped_.push_back({file, line, reason});
}

void set_source_file(std::vector<Example>& rows, const std::filesystem::path& file) {
  for (auto& r : rows) r.source_file = file;
}

std::string source_location(const Example& row) {
  return (row.source_file.empty() ? std::string("<memory>") : row.source_file.string()) + ":" +
         std::to_string(row.source_line);
}

std::vector<Example> select_rows(const std::vector<Example>& rows, const std::vector<std::size_t>& indices,
                                 const std::string& what) {
  std::vector<Example> out;
  out.reserve(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= rows.size())
      throw DatasetError(what, "index #" + std::to_string(k) + " = " + std::to_string(indices[k]) +
                                   " is out of range (the split has " + std::to_string(rows.size()) +
                                   " rows)");
    out.push_back(rows[indices[k]]);
  }
  return out;
}

}  // namespace dbsa
