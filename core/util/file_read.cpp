#include "util/file_read.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace dbsa {

std::string read_file(const std::filesystem::path& file, std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw FileError(file.string() + ": cannot open " + std::string(what) + ": " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileError(file.string() + ": read error in " + std::string(what));
  return text;
}

}  // namespace dbsa
