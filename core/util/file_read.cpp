#include "util/file_read.h"

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <system_error>

namespace dbsa {

std::string read_file(const std::filesystem::path& file, std::string_view what) {
  // An ifstream opens a folder and then fails inside the first read with a message that names
  // neither the file nor the problem.
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw FileError(file.string() + ": is a folder, expected a " + std::string(what));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw FileError(file.string() + ": cannot open " + std::string(what) + ": " + std::strerror(errno));
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw FileError(file.string() + ": read error in " + std::string(what) + ": " + e.what());
  }
  if (in.bad()) throw FileError(file.string() + ": read error in " + std::string(what));
  return text;
}

std::string read_text_file(const std::filesystem::path& file, std::string_view what) {
  std::string text = read_file(file, what);
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

}  // namespace dbsa
