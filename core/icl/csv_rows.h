#pragma once
// The row checks every CSV-based loader applies before looking at a row's content.
#include <cstddef>
#include <optional>

#include "icl/csv_reader.h"
#include "icl/dataset.h"

namespace dbsa {

// Reads records until one has as many fields as the header and, when text_col is given, valid UTF-8 in
// that column; every record failing that is reported to `errors` (which throws, or counts the skip).
// Returns false at the end of the file.
bool next_well_formed_row(CsvReader& reader, const CsvRecord& header, std::optional<std::size_t> text_col,
                          RowErrorSink& errors, CsvRecord& rec);

}  // namespace dbsa
