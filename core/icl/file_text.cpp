#include "icl/file_text.h"

#include "icl/dataset.h"
#include "util/file_read.h"

namespace dbsa {

std::string read_file_text(const std::filesystem::path& file) {
  std::string text;
  try {
    // A byte order mark goes with the read, for every loader (CSV, TSV, JSON, the TREC lines). CRLF line
    // ends are the line readers' concern (a CRLF inside a quoted CSV field is data).
    text = read_text_file(file, "dataset file");
  } catch (const FileError& e) {
    throw DatasetError(file, e.what());
  }
  return text;
}

}  // namespace dbsa
