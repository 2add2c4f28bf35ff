#pragma once
// Whole-file reads for the small dataset files (a few MB at most).
#include <filesystem>
#include <string>

namespace dbsa {

// The bytes of `file`, less a leading UTF-8 byte order mark; throws DatasetError naming the file when
// it cannot be read (a folder included).
std::string read_file_text(const std::filesystem::path& file);

}  // namespace dbsa
