// NLU Evaluation Data (Liu et al. 2019) as split by the paper's code: CSV `text,scenario,label` where
// label is an id into labels.txt (`id<TAB>wording` per line).
#include <charconv>

#include "icl/csv_reader.h"
#include "icl/dataset_loaders.h"
#include "icl/file_text.h"

namespace dbsa {

std::vector<std::string> load_nlu_labels(const std::filesystem::path& labels_txt) {
  CsvReader reader(labels_txt, read_file_text(labels_txt), CsvDialect{'\t', false});
  CsvRecord rec;
  std::vector<std::string> labels;
  while (reader.next(rec)) {
    std::size_t id = 0;
    const auto& f0 = rec.fields[0];
    const auto [p, ec] = std::from_chars(f0.data(), f0.data() + f0.size(), id);
    if (rec.fields.size() != 2 || ec != std::errc() || p != f0.data() + f0.size() || rec.fields[1].empty())
      throw DatasetError(labels_txt, rec.line, "expected `id<TAB>wording`");
    if (id != labels.size())
      throw DatasetError(
          labels_txt, rec.line,
          "expected id " + std::to_string(labels.size()) + " (ids must count up from 0), found " + f0);
    labels.push_back(rec.fields[1]);
  }
  if (labels.empty()) throw DatasetError(labels_txt, "no labels");
  check_label_wordings(labels_txt, labels, "label");
  return labels;
}

Dataset load_nlu(const std::filesystem::path& dir, const LoadOptions& opts) {
  Dataset ds;
  ds.name = "nlu";
  ds.prompt = paper_template(ds.name);
  ds.labels = load_nlu_labels(dir / "labels.txt");
  RowErrorSink errors(opts, ds.skipped);
  ds.train = load_id_labelled_csv(dir / "train.csv", "text", "label", ds.labels, errors);
  ds.test = load_id_labelled_csv(dir / "test.csv", "text", "label", ds.labels, errors);
  return ds;
}

}  // namespace dbsa
