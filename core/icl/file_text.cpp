#include "icl/file_text.h"

#include "icl/dataset.h"
#include "util/file_read.h"

namespace dbsa {

std::string read_file_text(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_file(file, "dataset file");
  } catch (const FileError& e) {
    throw DatasetError(file, e.what());
  }
  // Files saved by Windows tools may start with a UTF-8 byte order mark: dropped here, once, for every
  // loader (CSV, TSV, JSON, the TREC lines). CRLF line ends are the line readers' concern (a CRLF inside
  // a quoted CSV field is data).
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

}  // namespace dbsa
