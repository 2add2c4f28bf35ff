#include "icl/file_text.h"

#include "icl/dataset.h"
#include "util/file_read.h"

namespace dbsa {

std::string read_file_text(const std::filesystem::path& file) {
  try {
    return read_file(file, "dataset file");
  } catch (const FileError& e) {
    throw DatasetError(file, e.what());
  }
}

}  // namespace dbsa
