// Clinic150 / CLINC OOS (Larson et al. 2019): data_full.json = {split: [[text, intent], ...]}.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "icl/dataset_loaders.h"
#include "icl/file_text.h"
#include "text/unicode_bytes.h"

namespace dbsa {
namespace {

constexpr std::string_view kOos = "oos";

nlohmann::json parse_clinic(const std::filesystem::path& file) {
  try {
    auto j = nlohmann::json::parse(read_file_text(file));
    if (!j.is_object()) throw DatasetError(file, "expected an object {split: [[text, intent], ...]}");
    return j;
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw DatasetError(file, std::string("invalid JSON: ") + e.what());
  }
}

// raw[i] / wording[i] are the labels in id order; rows whose intent is not among them are bad rows.
std::vector<Example> read_split(const nlohmann::json& j, const std::filesystem::path& file,
                                std::string_view split, const std::vector<std::string>& raw,
                                const std::vector<std::string>& wording, RowErrorSink& errors) {
  const std::string s(split);
  if (!j.contains(s) || !j[s].is_array()) throw DatasetError(file, "expected an array for split '" + s + "'");
  std::vector<Example> rows;
  const auto& arr = j[s];
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto& rec = arr[i];
    const std::size_t line = i + 1;  // 1-based record index inside the split
    const std::string where = s + "[" + std::to_string(i) + "]: ";
    if (!rec.is_array() || rec.size() != 2 || !rec[0].is_string() || !rec[1].is_string()) {
      errors.bad_row(file, line, where + "expected [text, intent] (two strings)");
      continue;
    }
    const auto& text = rec[0].get_ref<const std::string&>();
    const auto& intent = rec[1].get_ref<const std::string&>();
    if (auto bad = find_invalid_utf8(text)) {
      errors.bad_row(file, line,
                     where + "invalid UTF-8 in the text at byte " + std::to_string(bad->offset) + " (" +
                         bad->what + ")");
      continue;
    }
    const auto it = std::find(raw.begin(), raw.end(), intent);
    if (it == raw.end()) {
      errors.bad_row(file, line, where + "unknown intent '" + intent + "'");
      continue;
    }
    const auto id = static_cast<std::size_t>(it - raw.begin());
    rows.push_back({text, wording[id], static_cast<int>(id), line});
  }
  set_source_file(rows, file);
  return rows;
}

}  // namespace

std::vector<Example> load_clinic150_split(const std::filesystem::path& data_full_json, std::string_view split,
                                          const LabelMap& map, RowErrorSink& errors) {
  return read_split(parse_clinic(data_full_json), data_full_json, split, map.id_to_raw, map.id_to_verbalizer,
                    errors);
}

Dataset load_clinic150(const std::filesystem::path& data_full_json, const LabelMap& map,
                       const LoadOptions& opts, bool include_oos) {
  Dataset ds;
  ds.name = "clinic150";
  ds.prompt = paper_template(ds.name);
  std::vector<std::string> raw, wording;
  for (std::size_t i = 0; i < map.id_to_raw.size(); ++i) {
    if (!include_oos && map.id_to_raw[i] == kOos) continue;
    raw.push_back(map.id_to_raw[i]);
    wording.push_back(map.id_to_verbalizer[i]);
  }
  ds.labels = wording;
  RowErrorSink errors(opts, ds.skipped);
  const auto j = parse_clinic(data_full_json);
  ds.train = read_split(j, data_full_json, "train", raw, wording, errors);
  ds.test = read_split(j, data_full_json, "test", raw, wording, errors);
  if (include_oos) {
    // The HF "plus" configuration the paper loads appends the out-of-scope rows after the in-scope ones;
    // the paper's test indices (splits/clinic-indices.txt) count in that order.
    auto oos_train = read_split(j, data_full_json, "oos_train", raw, wording, errors);
    auto oos_test = read_split(j, data_full_json, "oos_test", raw, wording, errors);
    ds.train.insert(ds.train.end(), oos_train.begin(), oos_train.end());
    ds.test.insert(ds.test.end(), oos_test.begin(), oos_test.end());
  }
  return ds;
}

}  // namespace dbsa
