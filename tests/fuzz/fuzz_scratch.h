#pragma once
// A private folder for harnesses whose code under test reads files (the dataset loaders, the cache
// folder): made once per process under the temp directory (TMPDIR; /dev/shm makes campaigns faster),
// emptied for every input and removed when the process exits.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace dbsa::fuzz {

// The folder, empty.
const std::filesystem::path& fresh_scratch_dir();

// Writes `bytes` to `file`, creating its parent folders.
void write_scratch_file(const std::filesystem::path& file, std::span<const uint8_t> bytes);
void write_scratch_file(const std::filesystem::path& file, std::string_view bytes);

}  // namespace dbsa::fuzz
