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
    // FileError's message starts with the path already; DatasetError adds it again.
    std::string why = e.what();
    const std::string prefix = file.string() + ": ";
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    throw DatasetError(file, why);
  }
  return text;
}

}  // namespace dbsa
