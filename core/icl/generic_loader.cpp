// User datasets: CSV, TSV or JSONL with chosen text and label columns.
#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "icl/csv_reader.h"
#include "icl/csv_rows.h"
#include "icl/dataset_loaders.h"
#include "icl/file_text.h"
#include "text/unicode_bytes.h"

namespace dbsa {
namespace {

RowFormat resolve_format(const GenericSource& src) {
  if (src.format != RowFormat::Auto) return src.format;
  const std::string ext = src.file.extension().string();
  if (ext == ".csv") return RowFormat::Csv;
  if (ext == ".tsv" || ext == ".tab") return RowFormat::Tsv;
  if (ext == ".jsonl" || ext == ".ndjson") return RowFormat::Jsonl;
  throw DatasetError(src.file, "cannot tell the format from the extension '" + ext +
                                   "' (expected .csv, .tsv, .tab, .jsonl or .ndjson; or set the format)");
}

// Resolves a raw label cell to an id (adding it to `labels` when discovering); -1 after reporting.
class LabelResolver {
 public:
  LabelResolver(const GenericSource& src, std::vector<std::string>& labels)
      : src_(src), labels_(labels), discover_(labels.empty() && !src.label_is_id) {}

  int from_string(const std::string& cell, std::size_t line, RowErrorSink& errors) {
    if (src_.label_is_id) {
      std::size_t id = 0;
      const auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), id);
      if (cell.empty() || ec != std::errc() || p != cell.data() + cell.size() || id >= labels_.size()) {
        errors.bad_row(src_.file, line,
                       "column '" + src_.label_column + "': expected a label id in [0, " +
                           std::to_string(labels_.size()) + "), found '" + cell + "'");
        return -1;
      }
      return static_cast<int>(id);
    }
    if (cell.empty()) {
      errors.bad_row(src_.file, line, "column '" + src_.label_column + "' is empty");
      return -1;
    }
    const std::string wording = src_.underscores_to_spaces ? display_label(cell) : cell;
    const auto it = std::find(labels_.begin(), labels_.end(), wording);
    if (it != labels_.end()) return static_cast<int>(it - labels_.begin());
    if (!discover_) {
      errors.bad_row(src_.file, line, "unknown label '" + cell + "'");
      return -1;
    }
    labels_.push_back(wording);
    return static_cast<int>(labels_.size() - 1);
  }

 private:
  const GenericSource& src_;
  std::vector<std::string>& labels_;
  bool discover_;
};

bool add_row(std::vector<Example>& rows, const std::string& text, const std::string& label_cell,
             std::size_t line, const GenericSource& src, LabelResolver& resolver,
             const std::vector<std::string>& labels, RowErrorSink& errors) {
  if (auto bad = find_invalid_utf8(text)) {
    errors.bad_row(
        src.file, line,
        "invalid UTF-8 in the text at byte " + std::to_string(bad->offset) + " (" + bad->what + ")");
    return false;
  }
  if (auto bad = find_invalid_utf8(label_cell)) {
    errors.bad_row(
        src.file, line,
        "invalid UTF-8 in the label at byte " + std::to_string(bad->offset) + " (" + bad->what + ")");
    return false;
  }
  const int id = resolver.from_string(label_cell, line, errors);
  if (id < 0) return false;
  rows.push_back({text, labels[static_cast<std::size_t>(id)], id, line});
  return true;
}

std::vector<Example> load_delimited(const GenericSource& src, char delimiter,
                                    std::vector<std::string>& labels, RowErrorSink& errors) {
  CsvReader reader(src.file, CsvDialect{delimiter, true});
  CsvRecord header, rec;
  if (!reader.next(header)) throw DatasetError(src.file, "empty file; expected a header row");
  const std::size_t text_col = csv_column(reader, header, src.text_column);
  const std::size_t label_col = csv_column(reader, header, src.label_column);
  LabelResolver resolver(src, labels);
  std::vector<Example> rows;
  while (next_well_formed_row(reader, header, std::nullopt, errors, rec)) {
    add_row(rows, rec.fields[text_col], rec.fields[label_col], rec.line, src, resolver, labels, errors);
  }
  return rows;
}

std::vector<Example> load_jsonl(const GenericSource& src, std::vector<std::string>& labels,
                                RowErrorSink& errors) {
  const std::string text = read_file_text(src.file);
  LabelResolver resolver(src, labels);
  std::vector<Example> rows;
  std::size_t start = 0, line = 0;
  while (start < text.size()) {
    ++line;
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view raw(text.data() + start, end - start);
    start = end + 1;
    if (rstrip_ascii(raw).empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(raw);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
      errors.bad_row(src.file, line, std::string("invalid JSON: ") + e.what());
      continue;
    }
    if (!j.is_object() || !j.contains(src.text_column) || !j[src.text_column].is_string()) {
      errors.bad_row(src.file, line, "expected an object with a string field '" + src.text_column + "'");
      continue;
    }
    if (!j.contains(src.label_column)) {
      errors.bad_row(src.file, line, "missing field '" + src.label_column + "'");
      continue;
    }
    const auto& lv = j[src.label_column];
    std::string cell;
    if (lv.is_string()) {
      cell = lv.get<std::string>();
    } else if (lv.is_number_unsigned() || lv.is_number_integer()) {
      cell = lv.dump();
    } else {
      errors.bad_row(src.file, line, "field '" + src.label_column + "' must be a string or an integer");
      continue;
    }
    add_row(rows, j[src.text_column].get<std::string>(), cell, line, src, resolver, labels, errors);
  }
  return rows;
}

}  // namespace

std::vector<Example> load_generic_rows(const GenericSource& src, std::vector<std::string>& labels,
                                       RowErrorSink& errors) {
  std::vector<Example> rows;
  switch (resolve_format(src)) {
    case RowFormat::Csv:
      rows = load_delimited(src, ',', labels, errors);
      break;
    case RowFormat::Tsv:
      rows = load_delimited(src, '\t', labels, errors);
      break;
    case RowFormat::Jsonl:
      rows = load_jsonl(src, labels, errors);
      break;
    case RowFormat::Auto:
      throw DatasetError(src.file, "unresolved row format");
  }
  set_source_file(rows, src.file);
  return rows;
}

Dataset load_generic_dataset(std::string name, const GenericSource& train,
                             const std::filesystem::path& test_file, PromptTemplate prompt,
                             std::vector<std::string> labels, const LoadOptions& opts) {
  Dataset ds;
  ds.name = std::move(name);
  ds.prompt = std::move(prompt);
  ds.labels = std::move(labels);
  RowErrorSink errors(opts, ds.skipped);
  ds.train = load_generic_rows(train, ds.labels, errors);
  if (!test_file.empty()) {
    // Without any, the test file would discover labels of its own, which no demonstration shows.
    if (ds.labels.empty())
      throw DatasetError(train.file,
                         "no labels (no usable rows and none given) to check the test file's labels against");
    GenericSource test = train;
    test.file = test_file;
    // Test labels must be among the train labels: a label never shown cannot be predicted.
    ds.test = load_generic_rows(test, ds.labels, errors);
  }
  return ds;
}

}  // namespace dbsa
