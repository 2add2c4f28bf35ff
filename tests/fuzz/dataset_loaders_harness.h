#pragma once
// The dataset loaders' fuzz contract (core/icl): every input either loads or raises a DatasetError with a
// message; a loaded dataset is sound (every example's label id in range and equal to its wording, text
// and labels valid UTF-8, labels distinct, skips only when asked for). Label sets (shorten_labels) either
// raise std::invalid_argument or decode every label, and only it, by their allowed_next/match walk.
// Throws FuzzFinding for anything else.
//
// Input: byte 0 picks the loader (modulo kLoaderCount), byte 1 holds option bits, the rest is cut at each
// kPartSeparator into the loader's files in the order of loader_files() (a missing part is a missing
// file). The loaders read files, so the parts are written into a scratch folder laid out like
// ../shared/data and loaded through the same entry points as `dbsa`.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbsa::fuzz {

enum class DatasetLoader : uint8_t { Trec, TrecFine, Banking77, Clinic150, Nlu, Generic, LabelSet };
inline constexpr uint8_t kLoaderCount = 7;
inline constexpr char kPartSeparator = '\x1e';  // ASCII record separator: rare in text, one byte to mutate

// Option bits (byte 1).
inline constexpr uint8_t kSkipBadRows = 1;       // LoadOptions::skip_bad_rows
inline constexpr uint8_t kGenericFormat = 6;     // 2 bits: CSV, TSV, JSONL, or an extension Auto rejects
inline constexpr uint8_t kGenericExplicit = 8;   // the format is given, not told from the file's extension
inline constexpr uint8_t kLabelIsId = 16;        // GenericSource::label_is_id
inline constexpr uint8_t kKeepUnderscores = 32;  // GenericSource::underscores_to_spaces = false
// LabelSet: byte 1 is the newline token instead, every byte of a part one token id, one part per label.

// The relative paths the parts are written to, in order (for the generic loader: train file, test file,
// then the known labels one per line; for LabelSet: none, the parts are labels).
std::vector<std::string> loader_files(DatasetLoader loader, uint8_t options);

// The input that check_dataset_loaders reads as these parts (for the seed writer).
std::string dataset_input(DatasetLoader loader, uint8_t options, const std::vector<std::string>& parts);

void check_dataset_loaders(std::span<const uint8_t> input);

}  // namespace dbsa::fuzz
