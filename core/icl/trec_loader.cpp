// TREC question classification (Li & Roth 2002): `COARSE:fine question text` per line, latin-1.
#include <string>

#include "icl/dataset_loaders.h"
#include "icl/file_text.h"
#include "icl/text_encoding.h"

namespace dbsa {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

int find_tag(const std::vector<std::string>& tags, std::string_view tag) {
  for (std::size_t i = 0; i < tags.size(); ++i)
    if (tags[i] == tag) return static_cast<int>(i);
  return -1;
}

}  // namespace

TrecLabelNames load_trec_label_names(const std::filesystem::path& labels_tsv) {
  const std::string text = read_file_text(labels_tsv);
  TrecLabelNames names;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto tab = lines[i].find('\t');
    if (tab == std::string_view::npos || tab == 0 || tab + 1 == lines[i].size())
      throw DatasetError(labels_tsv, i + 1, "expected `TAG<TAB>name`");
    const std::string tag(lines[i].substr(0, tab));
    const std::string name(lines[i].substr(tab + 1));
    const bool fine = tag.find(':') != std::string::npos;
    auto& tags = fine ? names.fine_tags : names.coarse_tags;
    if (find_tag(tags, tag) >= 0) throw DatasetError(labels_tsv, i + 1, "duplicate tag '" + tag + "'");
    tags.push_back(tag);
    (fine ? names.fine_names : names.coarse_names).push_back(name);
  }
  if (names.coarse_tags.empty() || names.fine_tags.empty())
    throw DatasetError(labels_tsv, "expected both coarse (TAG) and fine (TAG:sub) label rows");
  check_label_wordings(labels_tsv, names.coarse_names, "coarse label");
  check_label_wordings(labels_tsv, names.fine_names, "fine label");
  return names;
}

std::vector<Example> load_trec_file(const std::filesystem::path& file, TrecGranularity granularity,
                                    const TrecLabelNames& names, RowErrorSink& errors) {
  // The files are latin-1 (train_5500.label has one 0xF0 byte); converting first makes every line
  // valid UTF-8. (HF's loader replaces that byte by a space instead; we keep the character, U+00F0.)
  const std::string text = latin1_to_utf8(read_file_text(file));
  const bool fine = granularity == TrecGranularity::Fine;
  const auto& tags = fine ? names.fine_tags : names.coarse_tags;
  const auto& wordings = fine ? names.fine_names : names.coarse_names;
  std::vector<Example> rows;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    const auto space = line.find(' ');
    const auto colon = line.find(':');
    if (space == std::string_view::npos || colon == std::string_view::npos || colon > space ||
        space + 1 == line.size()) {
      errors.bad_row(file, i + 1, "expected `COARSE:fine question text`");
      continue;
    }
    const std::string_view tag = fine ? line.substr(0, space) : line.substr(0, colon);
    const int id = find_tag(tags, tag);
    if (id < 0) {
      errors.bad_row(
          file, i + 1,
          "unknown " + std::string(fine ? "fine" : "coarse") + " label tag '" + std::string(tag) + "'");
      continue;
    }
    rows.push_back({std::string(line.substr(space + 1)), wordings[static_cast<std::size_t>(id)], id, i + 1});
  }
  set_source_file(rows, file);
  return rows;
}

Dataset load_trec(const std::filesystem::path& dir, TrecGranularity granularity, const LoadOptions& opts) {
  Dataset ds;
  const bool fine = granularity == TrecGranularity::Fine;
  ds.name = fine ? "trec-fine" : "trec";
  ds.prompt = paper_template(ds.name);
  const TrecLabelNames names = load_trec_label_names(dir / "labels.tsv");
  ds.labels = fine ? names.fine_names : names.coarse_names;
  RowErrorSink errors(opts, ds.skipped);
  ds.train = load_trec_file(dir / "train_5500.label", granularity, names, errors);
  ds.test = load_trec_file(dir / "TREC_10.label", granularity, names, errors);
  return ds;
}

}  // namespace dbsa
