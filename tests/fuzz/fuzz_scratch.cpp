#include "fuzz_scratch.h"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace dbsa::fuzz {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dbsa-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a scratch folder " + tmpl);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

const std::filesystem::path& fresh_scratch_dir() {
  static const ScratchDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    std::filesystem::remove_all(entry.path());
  return dir.path();
}

void write_scratch_file(const std::filesystem::path& file, std::string_view bytes) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write the scratch file " + file.string());
}

void write_scratch_file(const std::filesystem::path& file, std::span<const uint8_t> bytes) {
  write_scratch_file(file, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace dbsa::fuzz
