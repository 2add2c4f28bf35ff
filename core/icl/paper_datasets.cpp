// The five datasets of the DBSA paper from a folder laid out like ../shared/data.
#include <stdexcept>

#include "icl/dataset_loaders.h"
#include "icl/template.h"

namespace dbsa {

Dataset load_paper_dataset(std::string_view name, const std::filesystem::path& data_dir,
                           const LoadOptions& opts) {
  if (name == "trec") return load_trec(data_dir / "trec", TrecGranularity::Coarse, opts);
  if (name == "trec-fine") return load_trec(data_dir / "trec", TrecGranularity::Fine, opts);
  if (name == "banking77") return load_banking77(data_dir / "banking77", opts);
  if (name == "nlu") return load_nlu(data_dir / "nlu", opts);
  if (name == "clinic150")
    // Clinic's id order (HF's) is not recoverable from data_full.json, so the paper's map is required.
    return load_clinic150(data_dir / "clinic150" / "data_full.json",
                          load_label_map(data_dir / "splits" / "label_maps.json", "clinic150"), opts);
  throw std::invalid_argument("unknown paper dataset '" + std::string(name) +
                              "' (known: " + paper_dataset_list() + ")");
}

std::vector<Example> load_paper_test_subset(const Dataset& ds, const std::filesystem::path& data_dir) {
  const auto splits = data_dir / "splits";
  std::filesystem::path file;
  std::string label_column;
  if (ds.name == "trec" || ds.name == "trec-fine") {
    file = splits / "test250-trec.csv";
    label_column = ds.name == "trec" ? "coarse_label" : "fine_label";
  } else if (ds.name == "banking77") {
    file = splits / "test250-banking77.csv";
    label_column = "label";
  } else if (ds.name == "clinic150") {
    // The subset's ids count the out-of-scope label (id 42); without it every later id would shift.
    if (ds.labels.size() != 151 || ds.labels[42] != "oos")
      throw std::invalid_argument("the clinic150 test subset needs the dataset loaded with its oos label");
    file = splits / "test250-clinic150.csv";
    label_column = "intent";
  } else if (ds.name == "nlu") {
    file = splits / "test250-nlu.csv";
    label_column = "label";
  } else {
    throw std::invalid_argument("no paper test subset for dataset '" + ds.name + "'");
  }
  // Bad rows here would change the paper's numbers, so they always fail.
  LoadOptions strict;
  std::vector<SkippedRow> none;
  RowErrorSink errors(strict, none);
  return load_id_labelled_csv(file, "text", label_column, ds.labels, errors);
}

}  // namespace dbsa
