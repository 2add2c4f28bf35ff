#include "icl/csv_reader.h"

#include "icl/dataset.h"
#include "icl/file_text.h"

namespace dbsa {

CsvReader::CsvReader(std::filesystem::path file, CsvDialect dialect)
    : file_(std::move(file)), text_(read_file_text(file_)), dialect_(dialect) {
  if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
}

CsvReader::CsvReader(std::filesystem::path file, std::string text, CsvDialect dialect)
    : file_(std::move(file)), text_(std::move(text)), dialect_(dialect) {
  if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
}

bool CsvReader::next(CsvRecord& rec) {
  const std::size_t n = text_.size();
  // Skip blank lines between records.
  while (pos_ < n &&
         (text_[pos_] == '\n' || (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n'))) {
    pos_ += text_[pos_] == '\r' ? 2 : 1;
    ++line_;
  }
  if (pos_ >= n) return false;
  rec.fields.clear();
  rec.line = line_;
  std::string field;
  for (;;) {
    field.clear();
    if (dialect_.quoting && pos_ < n && text_[pos_] == '"') {
      const std::size_t open_line = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= n)
          throw DatasetError(file_, open_line, "quoted field is not closed before the end of the file");
        const char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
            field.push_back('"');
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        if (c == '\n') ++line_;
        field.push_back(c);
        ++pos_;
      }
      if (pos_ < n && text_[pos_] != dialect_.delimiter && text_[pos_] != '\n' && text_[pos_] != '\r')
        throw DatasetError(
            file_, line_,
            std::string("expected a delimiter or the end of the line after a closing quote, found '") +
                text_[pos_] + "'");
    } else {
      while (pos_ < n && text_[pos_] != dialect_.delimiter && text_[pos_] != '\n' &&
             !(text_[pos_] == '\r' && (pos_ + 1 == n || text_[pos_ + 1] == '\n')))
        field.push_back(text_[pos_++]);
    }
    rec.fields.push_back(field);
    if (pos_ >= n) return true;
    if (text_[pos_] == dialect_.delimiter) {
      ++pos_;
      continue;
    }
    // End of record: LF, CRLF or a final CR.
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return true;
  }
}

std::size_t csv_column(const CsvReader& reader, const CsvRecord& header, const std::string& name) {
  for (std::size_t i = 0; i < header.fields.size(); ++i)
    if (header.fields[i] == name) return i;
  std::string have;
  for (const auto& f : header.fields) have += (have.empty() ? "" : ", ") + f;
  throw DatasetError(reader.file(), header.line,
                     "expected a column named '" + name + "' in the header (have: " + have + ")");
}

}  // namespace dbsa
