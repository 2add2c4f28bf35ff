// label_maps.json (splits/): per dataset, id -> raw label and id -> prompt wording.
#include <nlohmann/json.hpp>

#include "icl/dataset_loaders.h"
#include "icl/file_text.h"

namespace dbsa {
namespace {

std::vector<std::string> string_array(const nlohmann::json& j, const std::filesystem::path& file,
                                      const std::string& where) {
  if (!j.is_array()) throw DatasetError(file, where + ": expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) throw DatasetError(file, where + "[" + std::to_string(i) + "]: expected a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

}  // namespace

LabelMap load_label_map(const std::filesystem::path& label_maps_json, std::string_view key) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_text(label_maps_json));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw DatasetError(label_maps_json, std::string("invalid JSON: ") + e.what());
  }
  const std::string k(key);
  if (!j.is_object() || !j.contains(k) || !j[k].is_object())
    throw DatasetError(label_maps_json, "expected an object entry '" + k + "'");
  const auto& e = j[k];
  if (!e.contains("id_to_raw") || !e.contains("id_to_verbalizer"))
    throw DatasetError(label_maps_json, "entry '" + k + "' needs id_to_raw and id_to_verbalizer");
  LabelMap m{string_array(e["id_to_raw"], label_maps_json, k + ".id_to_raw"),
             string_array(e["id_to_verbalizer"], label_maps_json, k + ".id_to_verbalizer")};
  if (m.id_to_raw.size() != m.id_to_verbalizer.size() || m.id_to_raw.empty())
    throw DatasetError(label_maps_json, "entry '" + k + "': id_to_raw has " +
                                            std::to_string(m.id_to_raw.size()) + " names, id_to_verbalizer " +
                                            std::to_string(m.id_to_verbalizer.size()));
  check_label_wordings(label_maps_json, m.id_to_raw, k + ".id_to_raw label");
  check_label_wordings(label_maps_json, m.id_to_verbalizer, k + ".id_to_verbalizer label");
  return m;
}

}  // namespace dbsa
