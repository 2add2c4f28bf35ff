#include "icl/csv_rows.h"

#include <string>

#include "text/unicode_bytes.h"

namespace dbsa {

bool next_well_formed_row(CsvReader& reader, const CsvRecord& header, std::optional<std::size_t> text_col,
                          RowErrorSink& errors, CsvRecord& rec) {
  while (reader.next(rec)) {
    if (rec.fields.size() != header.fields.size()) {
      errors.bad_row(reader.file(), rec.line,
                     "expected " + std::to_string(header.fields.size()) + " fields, found " +
                         std::to_string(rec.fields.size()));
      continue;
    }
    if (text_col) {
      if (auto bad = find_invalid_utf8(rec.fields[*text_col])) {
        errors.bad_row(
            reader.file(), rec.line,
            "invalid UTF-8 in the text at byte " + std::to_string(bad->offset) + " (" + bad->what + ")");
        continue;
      }
    }
    return true;
  }
  return false;
}

}  // namespace dbsa
