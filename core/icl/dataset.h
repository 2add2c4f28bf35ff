#pragma once
// Labelled text-classification data: the five datasets of the DBSA paper and generic CSV/TSV/JSONL.
// Labels are kept in the paper's id order and in their prompt wording (underscores shown as spaces).
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "icl/template.h"

namespace dbsa {

// A row that cannot be read. The message names the file, the line (1-based; for JSON the record's
// position inside its split) and what was expected there.
class DatasetError : public std::runtime_error {
 public:
  DatasetError(const std::filesystem::path& file, std::size_t line, const std::string& what);
  DatasetError(const std::filesystem::path& file, const std::string& what);  // file-level problems
};

struct Example {
  std::string text;             // UTF-8
  std::string label;            // the prompt wording of the label
  int label_id = -1;            // index into Dataset::labels
  std::size_t source_line = 0;  // where the row starts in its file (JSON: record index in its split)
  std::filesystem::path source_file = {};  // the file it was read from, named when the row is refused later
};

// Sets every row's source_file (each loader, once its rows are read).
void set_source_file(std::vector<Example>& rows, const std::filesystem::path& file);
// "FILE:LINE" of a row for messages (for a JSON split, LINE is the record index in its split).
std::string source_location(const Example& row);

struct LoadOptions {
  // Rows that fail (unknown label, missing column, bad UTF-8) are skipped and counted instead of
  // aborting the load. The skips are reported in Dataset::skipped, never dropped silently.
  bool skip_bad_rows = false;
};

struct SkippedRow {
  std::filesystem::path file;
  std::size_t line = 0;
  std::string reason;
};

struct Dataset {
  std::string name;                 // "trec", "trec-fine", "banking77", "clinic150", "nlu" or the user's
  std::vector<std::string> labels;  // prompt wordings, index = label id (the paper's order)
  std::vector<Example> train;
  std::vector<Example> test;
  PromptTemplate prompt;
  std::vector<SkippedRow> skipped;  // filled only with LoadOptions::skip_bad_rows

  // The id of a prompt wording, or -1.
  int label_index(std::string_view label) const;
};

// "skipped N bad rows" and the first max_listed of them as `file:line: reason`, one per line; empty when
// nothing was skipped. For the CLI/GUI to show after a load with skip_bad_rows.
std::string describe_skips(const std::vector<SkippedRow>& skipped, std::size_t max_listed = 10);

// `card_arrival` -> `card arrival`: how the paper shows raw label names in prompts.
std::string display_label(std::string_view raw);

// Label wordings are what the model is asked to produce: throws DatasetError naming `file` when one is
// not valid UTF-8 or repeats an earlier one (`what` names them in the message, e.g. "fine label").
void check_label_wordings(const std::filesystem::path& file, const std::vector<std::string>& wordings,
                          const std::string& what);

// Collects row errors: throws at once, or records a skip, depending on the options.
class RowErrorSink {
 public:
  RowErrorSink(const LoadOptions& opts, std::vector<SkippedRow>& skipped) : opts_(opts), skipped_(skipped) {}
  // Throws DatasetError unless skipping is enabled; then records the row and returns.
  void bad_row(const std::filesystem::path& file, std::size_t line, const std::string& reason);

 private:
  const LoadOptions& opts_;
  std::vector<SkippedRow>& skipped_;
};

// The rows at `indices` of `rows`, in the order of `indices`; throws DatasetError (naming `what`) for an
// index out of range.
std::vector<Example> select_rows(const std::vector<Example>& rows, const std::vector<std::size_t>& indices,
                                 const std::string& what);

}  // namespace dbsa
