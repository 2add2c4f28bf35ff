// Banking77 (PolyAI): CSV `text,category`, 77 categories listed in categories.json.
#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "icl/csv_reader.h"
#include "icl/csv_rows.h"
#include "icl/dataset_loaders.h"
#include "icl/file_text.h"

namespace dbsa {
namespace {

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Example> load_banking77_csv(const std::filesystem::path& file,
                                        const std::vector<std::string>& raw, RowErrorSink& errors) {
  CsvReader reader(file);
  CsvRecord header, rec;
  if (!reader.next(header)) throw DatasetError(file, "empty file; expected a `text,category` header");
  const std::size_t text_col = csv_column(reader, header, "text");
  const std::size_t cat_col = csv_column(reader, header, "category");
  std::vector<Example> rows;
  while (next_well_formed_row(reader, header, text_col, errors, rec)) {
    const std::string& text = rec.fields[text_col];
    const auto it = std::find(raw.begin(), raw.end(), rec.fields[cat_col]);
    if (it == raw.end()) {
      errors.bad_row(file, rec.line,
                     "unknown category '" + rec.fields[cat_col] + "' (not in categories.json)");
      continue;
    }
    const int id = static_cast<int>(it - raw.begin());
    rows.push_back({text, display_label(*it), id, rec.line});
  }
  set_source_file(rows, file);
  return rows;
}

}  // namespace

std::vector<std::string> load_banking77_categories(const std::filesystem::path& categories_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_text(categories_json));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw DatasetError(categories_json, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_array() || j.empty())
    throw DatasetError(categories_json, "expected a non-empty array of category names");
  std::vector<std::string> cats;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string())
      throw DatasetError(categories_json, "element " + std::to_string(i) + " is not a string");
    cats.push_back(j[i].get<std::string>());
  }
  // The HF ClassLabel ids (the paper's ids) are the names sorted case-insensitively; stable so the
  // order of names equal up to case is the file's.
  std::stable_sort(cats.begin(), cats.end(), [](const std::string& a, const std::string& b) {
    return lower_ascii(a) < lower_ascii(b);
  });
  // Checked as prompts show them: `card_arrival` and `card arrival` would be one wording for two ids.
  std::vector<std::string> shown;
  for (const auto& c : cats) shown.push_back(display_label(c));
  check_label_wordings(categories_json, shown, "category");
  return cats;
}

Dataset load_banking77(const std::filesystem::path& dir, const LoadOptions& opts) {
  Dataset ds;
  ds.name = "banking77";
  ds.prompt = paper_template(ds.name);
  const auto raw = load_banking77_categories(dir / "categories.json");
  for (const auto& r : raw) ds.labels.push_back(display_label(r));
  RowErrorSink errors(opts, ds.skipped);
  ds.train = load_banking77_csv(dir / "train.csv", raw, errors);
  ds.test = load_banking77_csv(dir / "test.csv", raw, errors);
  return ds;
}

}  // namespace dbsa
