#include "icl/file_text.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "icl/dataset.h"

namespace dbsa {

std::string read_file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DatasetError(file, std::string("cannot open: ") + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw DatasetError(file, "read error");
  return text;
}

}  // namespace dbsa
