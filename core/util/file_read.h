#pragma once
// Whole-file reads of user-given inputs (prompts, texts, small data files).
#include <filesystem>
#include <string>
#include <string_view>

#include "util/file_error.h"

namespace dbsa {

// The bytes of `file`; throws FileError "<file>: cannot open <what>: <reason>" when unreadable.
std::string read_file(const std::filesystem::path& file, std::string_view what = "file");

}  // namespace dbsa
