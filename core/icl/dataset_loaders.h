#pragma once
// Loaders for the formats in ../shared/data (one source file each) and generic CSV/TSV/JSONL.
// Every loader checks every row: an unknown label, a missing column or invalid UTF-8 raises a
// DatasetError naming file and line, or becomes a counted skip with LoadOptions::skip_bad_rows.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "icl/dataset.h"

namespace dbsa {

// --- TREC (`COARSE:fine question text` per line, latin-1 converted to UTF-8) ---
struct TrecLabelNames {
  std::vector<std::string> coarse_tags, coarse_names;  // "ABBR" / "abbreviation", in file order
  std::vector<std::string> fine_tags, fine_names;      // "ABBR:abb" / "abbreviation abbreviation"
};
// labels.tsv: `TAG<TAB>name` per line; tags with a colon are fine labels.
TrecLabelNames load_trec_label_names(const std::filesystem::path& labels_tsv);
enum class TrecGranularity { Coarse, Fine };
std::vector<Example> load_trec_file(const std::filesystem::path& file, TrecGranularity granularity,
                                    const TrecLabelNames& names, RowErrorSink& errors);
// dir holds train_5500.label, TREC_10.label and labels.tsv. Name "trec" or "trec-fine".
Dataset load_trec(const std::filesystem::path& dir, TrecGranularity granularity,
                  const LoadOptions& opts = {});

// --- Banking77 (CSV `text,category`; ids = categories.json sorted case-insensitively, the HF order) ---
std::vector<std::string> load_banking77_categories(const std::filesystem::path& categories_json);
Dataset load_banking77(const std::filesystem::path& dir, const LoadOptions& opts = {});

// --- label_maps.json of the paper's splits (id -> raw label -> prompt wording) ---
struct LabelMap {
  std::vector<std::string> id_to_raw;
  std::vector<std::string> id_to_verbalizer;
};
// `key` is the dataset's entry: trec_coarse, trec_fine, banking77, nlu, clinic150.
LabelMap load_label_map(const std::filesystem::path& label_maps_json, std::string_view key);

// --- Clinic150 (data_full.json: {split: [[text, intent], ...]}) ---
// One split ("train", "val", "test", "oos_train", ...) mapped through `map`; source_line is the record
// index inside the split.
std::vector<Example> load_clinic150_split(const std::filesystem::path& data_full_json, std::string_view split,
                                          const LabelMap& map, RowErrorSink& errors);
// As the paper (HF clinc_oos "plus"): train = train + oos_train, test = test + oos_test, in that order,
// 151 labels with "oos" as an ordinary label. include_oos = false drops the oos rows and label.
Dataset load_clinic150(const std::filesystem::path& data_full_json, const LabelMap& map,
                       const LoadOptions& opts = {}, bool include_oos = true);

// --- NLU (CSV `text,scenario,label`, label = id into labels.txt `id<TAB>wording`) ---
std::vector<std::string> load_nlu_labels(const std::filesystem::path& labels_txt);
Dataset load_nlu(const std::filesystem::path& dir, const LoadOptions& opts = {});

// --- The paper's test subsets ---
// A CSV whose `label_column` holds label ids into `labels` (splits/test250-*.csv).
std::vector<Example> load_id_labelled_csv(const std::filesystem::path& csv, const std::string& text_column,
                                          const std::string& label_column,
                                          const std::vector<std::string>& labels, RowErrorSink& errors);
// A Python list of non-negative integers, `[903, 1003, ...]` (splits/*-indices.txt).
std::vector<std::size_t> load_index_list(const std::filesystem::path& file);

// --- The five paper datasets from a folder laid out like ../shared/data ---
// name: one of paper_dataset_names() (icl/template.h). Labels follow the paper's id order.
Dataset load_paper_dataset(std::string_view name, const std::filesystem::path& data_dir,
                           const LoadOptions& opts = {});
// The 250-example test subset the paper evaluates on (splits/test250-*.csv), labels checked against ds.
std::vector<Example> load_paper_test_subset(const Dataset& ds, const std::filesystem::path& data_dir);

// --- Generic files ---
enum class RowFormat { Auto, Csv, Tsv, Jsonl };  // Auto: by extension (.csv, .tsv/.tab, .jsonl/.ndjson)
struct GenericSource {
  std::filesystem::path file;
  RowFormat format = RowFormat::Auto;
  std::string text_column = "text";
  std::string label_column = "label";
  bool label_is_id = false;           // the column holds integer ids into the label list
  bool underscores_to_spaces = true;  // show `card_arrival` as `card arrival`
};
// Reads rows; `labels` is the known label list: when it is empty on entry and !label_is_id, labels are
// added in order of first appearance; otherwise a label outside it is a bad row.
std::vector<Example> load_generic_rows(const GenericSource& src, std::vector<std::string>& labels,
                                       RowErrorSink& errors);
// A dataset from a train file and an optional test file (empty path: no test rows). With a test file,
// no labels after the train file (none given, no usable rows) is a DatasetError naming the train file.
Dataset load_generic_dataset(std::string name, const GenericSource& train,
                             const std::filesystem::path& test_file, PromptTemplate prompt,
                             std::vector<std::string> labels = {}, const LoadOptions& opts = {});

}  // namespace dbsa
