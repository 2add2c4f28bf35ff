#include "dataset_loaders_harness.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "icl/dataset.h"
#include "icl/dataset_loaders.h"
#include "icl/label_set.h"
#include "text/unicode_bytes.h"

#include "fuzz_finding.h"
#include "fuzz_scratch.h"

namespace dbsa::fuzz {
namespace {

struct PaperLayout {
  const char* dataset;  // the name load_paper_dataset takes
  std::vector<std::string> files;
};

// The files each paper loader reads, then its test subset and an index list into its test split.
const PaperLayout& paper_layout(DatasetLoader loader) {
  static const std::vector<PaperLayout> layouts = {
      {"trec",
       {"trec/labels.tsv", "trec/train_5500.label", "trec/TREC_10.label", "splits/test250-trec.csv",
        "splits/indices.txt"}},
      {"trec-fine",
       {"trec/labels.tsv", "trec/train_5500.label", "trec/TREC_10.label", "splits/test250-trec.csv",
        "splits/indices.txt"}},
      {"banking77",
       {"banking77/categories.json", "banking77/train.csv", "banking77/test.csv",
        "splits/test250-banking77.csv", "splits/indices.txt"}},
      {"clinic150",
       {"clinic150/data_full.json", "splits/label_maps.json", "splits/test250-clinic150.csv",
        "splits/indices.txt"}},
      {"nlu",
       {"nlu/labels.txt", "nlu/train.csv", "nlu/test.csv", "splits/test250-nlu.csv", "splits/indices.txt"}},
  };
  return layouts.at(static_cast<std::size_t>(loader));
}

RowFormat generic_format(uint8_t options) {
  switch ((options & kGenericFormat) >> 1) {
    case 0:
      return RowFormat::Csv;
    case 1:
      return RowFormat::Tsv;
    case 2:
      return RowFormat::Jsonl;
    default:
      return RowFormat::Auto;
  }
}

std::string generic_extension(RowFormat f) {
  switch (f) {
    case RowFormat::Csv:
      return ".csv";
    case RowFormat::Tsv:
      return ".tsv";
    case RowFormat::Jsonl:
      return ".jsonl";
    case RowFormat::Auto:
      break;
  }
  return ".txt";  // Auto cannot tell a format from it: the loader must say so
}

std::vector<std::string_view> split_parts(std::string_view body) {
  std::vector<std::string_view> parts;
  if (body.empty()) return parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = body.find(kPartSeparator, start);
    if (end == std::string_view::npos) {
      parts.push_back(body.substr(start));
      return parts;
    }
    parts.push_back(body.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  return !find_invalid_utf8(s).has_value();
}

void check_rows(const std::vector<Example>& rows, const std::vector<std::string>& labels,
                const std::string& what) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Example& e = rows[i];
    const std::string at = what + " row " + std::to_string(i) + ": ";
    require(e.label_id >= 0 && static_cast<std::size_t>(e.label_id) < labels.size(),
            at + "label id " + std::to_string(e.label_id) + " outside the " + std::to_string(labels.size()) +
                " labels");
    require(e.label == labels[static_cast<std::size_t>(e.label_id)],
            at + "label '" + e.label + "' is not the wording of its id");
    require(valid_utf8(e.text), at + "text is not valid UTF-8");
    require(e.source_line >= 1, at + "source line 0");
    require(!e.source_file.empty(), at + "names no source file");
  }
}

// Labels are prompt wordings: each must be UTF-8 and name one id, or a prediction would be ambiguous.
void check_labels(const std::vector<std::string>& labels, const std::string& what) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    require(valid_utf8(labels[i]), what + " label " + std::to_string(i) + " is not valid UTF-8");
    require(seen.insert(labels[i]).second, what + " label '" + labels[i] + "' appears twice");
  }
}

void check_dataset(const Dataset& ds, const LoadOptions& opts) {
  check_labels(ds.labels, ds.name);
  require(ds.label_index("\x1f\x1e no such label") < 0, ds.name + ": label_index finds a label not there");
  check_rows(ds.train, ds.labels, ds.name + " train");
  check_rows(ds.test, ds.labels, ds.name + " test");
  require(opts.skip_bad_rows || ds.skipped.empty(), ds.name + ": rows skipped without skip_bad_rows");
  for (const auto& s : ds.skipped)
    require(s.line >= 1 && !s.reason.empty(), ds.name + ": a skip without a reason");
  require(ds.skipped.empty() == describe_skips(ds.skipped).empty(), ds.name + ": describe_skips disagrees");
}

void check_paper(DatasetLoader loader, uint8_t options, const std::filesystem::path& root,
                 const std::vector<bool>& present) {
  const PaperLayout& layout = paper_layout(loader);
  LoadOptions opts;
  opts.skip_bad_rows = (options & kSkipBadRows) != 0;
  const Dataset ds = load_paper_dataset(layout.dataset, root, opts);
  check_dataset(ds, opts);
  const std::size_t n = layout.files.size();
  // The clinic150 subset's ids need the paper's 151 labels with oos at 42 (a documented precondition).
  const bool subset_applies =
      loader != DatasetLoader::Clinic150 || (ds.labels.size() == 151 && ds.labels[42] == "oos");
  if (present[n - 2] && subset_applies) {
    const auto subset = load_paper_test_subset(ds, root);
    check_rows(subset, ds.labels, ds.name + " test subset");
  }
  if (present[n - 1]) {
    const auto indices = load_index_list(root / layout.files[n - 1]);
    const auto rows = select_rows(ds.test, indices, "indices");
    require(rows.size() == indices.size(), "select_rows returned " + std::to_string(rows.size()) +
                                               " rows for " + std::to_string(indices.size()) + " indices");
    for (std::size_t i = 0; i < rows.size(); ++i)
      require(rows[i].text == ds.test[indices[i]].text,
              "select_rows row " + std::to_string(i) + " is another row");
  }
}

void check_generic(uint8_t options, const std::filesystem::path& root,
                   const std::vector<std::string_view>& parts) {
  const auto files = loader_files(DatasetLoader::Generic, options);
  GenericSource src;
  src.file = root / files[0];
  const RowFormat format = generic_format(options);
  src.format = (options & kGenericExplicit) != 0 ? format : RowFormat::Auto;
  src.label_is_id = (options & kLabelIsId) != 0;
  src.underscores_to_spaces = (options & kKeepUnderscores) == 0;
  // Given labels are the caller's (the CLI's --labels), not file content: deduplicated here so the
  // soundness checks judge the loader only.
  std::vector<std::string> given;
  if (parts.size() > 2)
    for (auto& l : lines_of(parts[2]))
      if (valid_utf8(l) && std::find(given.begin(), given.end(), l) == given.end()) given.push_back(l);
  const bool discovered = given.empty() && !src.label_is_id;
  LoadOptions opts;
  opts.skip_bad_rows = (options & kSkipBadRows) != 0;
  const std::filesystem::path test_file = parts.size() > 1 ? root / files[1] : std::filesystem::path();
  const Dataset ds = load_generic_dataset("generic", src, test_file, PromptTemplate{}, given, opts);
  check_dataset(ds, opts);
  if (!discovered) {
    require(ds.labels == given, "generic: the given labels changed");
  } else {
    // Discovered labels come from the train rows, and the test rows may only use those.
    std::set<int> train_ids;
    for (const auto& e : ds.train) train_ids.insert(e.label_id);
    require(train_ids.size() == ds.labels.size(), "generic: a discovered label has no train row");
    for (const auto& e : ds.test)
      require(train_ids.count(e.label_id) == 1, "generic: test label '" + e.label + "' is not a train label");
  }
}

bool starts_with(const std::vector<TokenId>& seq, const std::vector<TokenId>& prefix) {
  return seq.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), seq.begin());
}

void check_label_set(uint8_t newline, const std::vector<std::string_view>& parts) {
  std::vector<std::string> labels;
  std::vector<std::vector<TokenId>> tokens;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    labels.push_back("label" + std::to_string(i));
    tokens.emplace_back();
    for (unsigned char c : parts[i]) tokens.back().push_back(static_cast<TokenId>(c));
  }
  LabelSet s;
  try {
    s = shorten_labels(labels, tokens, static_cast<TokenId>(newline));
  } catch (const std::invalid_argument&) {
    return;
  }
  const std::size_t n = labels.size();
  require(s.labels == labels && s.full_tokens == tokens && s.decode_tokens.size() == n,
          "shorten_labels changed its inputs");
  std::size_t longest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& d = s.decode_tokens[i];
    const std::string at = "label " + std::to_string(i) + ": ";
    longest = std::max(longest, d.size());
    require(!d.empty(), at + "no decode tokens");
    const bool padded = !starts_with(tokens[i], d);
    require(!padded || (d.back() == static_cast<TokenId>(newline) &&
                        starts_with(tokens[i], std::vector<TokenId>(d.begin(), d.end() - 1))),
            at + "decode tokens are neither a prefix of its tokens nor one plus the newline");
    // Constrained decoding walks allowed_next from nothing; every label must be reachable and end there.
    std::vector<TokenId> produced;
    for (TokenId t : d) {
      require(s.match(produced) < 0, at + "a shorter label ends on the way to it");
      const auto next = s.allowed_next(produced);
      require(std::binary_search(next.begin(), next.end(), t), at + "its next token is not allowed");
      produced.push_back(t);
    }
    require(s.match(produced) == static_cast<int>(i),
            at + "decoding it yields label " + std::to_string(s.match(produced)));
    require(s.allowed_next(produced).empty(), at + "decoding may continue after it");
  }
  require(s.max_steps == longest, "max_steps is not the longest decode");
}

void check(std::span<const uint8_t> input) {
  if (input.size() < 2) return;
  const auto loader = static_cast<DatasetLoader>(input[0] % kLoaderCount);
  const uint8_t options = input[1];
  const auto parts =
      split_parts(std::string_view(reinterpret_cast<const char*>(input.data()) + 2, input.size() - 2));
  if (loader == DatasetLoader::LabelSet) {
    check_label_set(options, parts);
    return;
  }
  const auto& root = fresh_scratch_dir();
  const auto files = loader_files(loader, options);
  std::vector<bool> present(files.size(), false);
  for (std::size_t i = 0; i < parts.size() && i < files.size(); ++i) {
    // The generic loader's third part is the label list, not a file.
    if (loader == DatasetLoader::Generic && i == 2) break;
    write_scratch_file(root / files[i], parts[i]);
    present[i] = true;
  }
  try {
    if (loader == DatasetLoader::Generic) {
      check_generic(options, root, parts);
    } else {
      check_paper(loader, options, root, present);
    }
  } catch (const DatasetError& e) {
    require(std::string_view(e.what()).size() > 0, "a DatasetError without a message");
  }
}

}  // namespace

std::vector<std::string> loader_files(DatasetLoader loader, uint8_t options) {
  switch (loader) {
    case DatasetLoader::Generic: {
      // A given format ignores the extension, so it gets one that tells nothing.
      const std::string ext =
          (options & kGenericExplicit) != 0 ? ".data" : generic_extension(generic_format(options));
      return {"generic/train" + ext, "generic/test" + ext, "(labels)"};
    }
    case DatasetLoader::LabelSet:
      return {};
    default:
      return paper_layout(loader).files;
  }
}

std::string dataset_input(DatasetLoader loader, uint8_t options, const std::vector<std::string>& parts) {
  std::string s;
  s.push_back(static_cast<char>(loader));
  s.push_back(static_cast<char>(options));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s.push_back(kPartSeparator);
    s += parts[i];
  }
  return s;
}

void check_dataset_loaders(std::span<const uint8_t> input) {
  run_contract([&] { check(input); });
}

}  // namespace dbsa::fuzz
