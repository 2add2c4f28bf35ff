// The paper's evaluation subsets: CSVs with label ids (splits/test250-*.csv) and Python index lists
// (splits/*-indices.txt).
#include <charconv>

#include "icl/csv_reader.h"
#include "icl/csv_rows.h"
#include "icl/dataset_loaders.h"
#include "icl/file_text.h"

namespace dbsa {

std::vector<Example> load_id_labelled_csv(const std::filesystem::path& csv, const std::string& text_column,
                                          const std::string& label_column,
                                          const std::vector<std::string>& labels, RowErrorSink& errors) {
  CsvReader reader(csv);
  CsvRecord header, rec;
  if (!reader.next(header)) throw DatasetError(csv, "empty file; expected a header row");
  const std::size_t text_col = csv_column(reader, header, text_column);
  const std::size_t label_col = csv_column(reader, header, label_column);
  std::vector<Example> rows;
  while (next_well_formed_row(reader, header, text_col, errors, rec)) {
    const std::string& text = rec.fields[text_col];
    const std::string& f = rec.fields[label_col];
    std::size_t id = 0;
    const auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), id);
    if (ec != std::errc() || p != f.data() + f.size() || f.empty() || id >= labels.size()) {
      errors.bad_row(csv, rec.line,
                     "column '" + label_column + "': expected a label id in [0, " +
                         std::to_string(labels.size()) + "), found '" + f + "'");
      continue;
    }
    rows.push_back({text, labels[id], static_cast<int>(id), rec.line});
  }
  set_source_file(rows, csv);
  return rows;
}

std::vector<std::size_t> load_index_list(const std::filesystem::path& file) {
  const std::string text = read_file_text(file);
  std::size_t i = 0, line = 1;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
      if (text[i] == '\n') ++line;
      ++i;
    }
  };
  auto fail = [&](const std::string& what) -> DatasetError {
    return DatasetError(file, line, "byte " + std::to_string(i) + ": " + what);
  };
  skip_space();
  if (i >= text.size() || text[i] != '[') throw fail("expected '[' (a Python list of integers)");
  ++i;
  std::vector<std::size_t> out;
  skip_space();
  if (i < text.size() && text[i] == ']') {
    ++i;
  } else {
    for (;;) {
      skip_space();
      std::size_t v = 0;
      const auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
      if (ec != std::errc()) throw fail("expected a non-negative integer");
      i = static_cast<std::size_t>(p - text.data());
      out.push_back(v);
      skip_space();
      if (i < text.size() && text[i] == ',') {
        ++i;
        skip_space();
        if (i < text.size() && text[i] == ']') {  // Python allows a trailing comma
          ++i;
          break;
        }
        continue;
      }
      if (i < text.size() && text[i] == ']') {
        ++i;
        break;
      }
      throw fail("expected ',' or ']'");
    }
  }
  skip_space();
  if (i != text.size()) throw fail("unexpected text after the list");
  return out;
}

}  // namespace dbsa
