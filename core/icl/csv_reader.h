#pragma once
// A small RFC 4180 reader (no Debian library fits): fields separated by a delimiter, records ended by
// LF or CRLF, quoted fields with "" as an escaped quote and line breaks allowed inside quotes.
// Like Python's csv module, a quote inside an unquoted field is kept as a literal character. A UTF-8
// byte-order mark at the start of the file is skipped.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace dbsa {

struct CsvDialect {
  char delimiter = ',';
  bool quoting = true;  // false: quotes are ordinary characters (plain TSV)
};

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // 1-based line where the record starts
};

class CsvReader {
 public:
  // Reads the whole file; throws DatasetError when it cannot be opened.
  explicit CsvReader(std::filesystem::path file, CsvDialect dialect = {});
  // Parses text already in memory; `file` only names it in error messages.
  CsvReader(std::filesystem::path file, std::string text, CsvDialect dialect = {});

  // The next record, false at the end. Throws DatasetError (file and line) for an unterminated quoted
  // field or text after a closing quote. Blank lines are skipped.
  bool next(CsvRecord& rec);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::string text_;
  CsvDialect dialect_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// The position of `name` in a header record; throws DatasetError naming the file, the column and the
// header's columns when it is absent.
std::size_t csv_column(const CsvReader& reader, const CsvRecord& header, const std::string& name);

}  // namespace dbsa
