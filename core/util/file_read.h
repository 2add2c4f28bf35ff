#pragma once
// Whole-file reads of user-given inputs (prompts, texts, small data files).
#include <filesystem>
#include <string>
#include <string_view>

#include "util/file_error.h"

namespace dbsa {

// The bytes of `file`; throws FileError "<file>: cannot open <what>: <reason>" when unreadable.
std::string read_file(const std::filesystem::path& file, std::string_view what = "file");
// The same for a text file: a leading UTF-8 byte order mark (Windows tools write one) is dropped, the
// one place every text input (datasets, pools, prompts, queries) loses it.
std::string read_text_file(const std::filesystem::path& file, std::string_view what = "file");

}  // namespace dbsa
