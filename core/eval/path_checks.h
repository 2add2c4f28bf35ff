#pragma once
// Can we write there? Asked before an evaluation writes anything, so a read-only results path fails
// with one clear line instead of after minutes of work (or with a half-created database). The checks
// leave nothing behind: a probe file is created and removed at once.
#include <filesystem>
#include <string_view>

namespace dbsa {

// The file exists and can be opened for writing, or can be created in its (existing) folder; its folder
// must also take new files (SQLite's WAL and journal live next to it). Throws std::runtime_error
// naming the file, `what` it is and the system's reason.
void check_writable_file(const std::filesystem::path& file, std::string_view what);

// The folder exists and takes new files, or its nearest existing ancestor does (so it can be created).
void check_creatable_dir(const std::filesystem::path& dir, std::string_view what);

}  // namespace dbsa
