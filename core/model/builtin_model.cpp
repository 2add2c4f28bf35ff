#include "model/builtin_model.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace dbsa {

std::filesystem::path builtin_model_path() {
  namespace fs = std::filesystem;
  std::vector<fs::path> tried;
  if (const char* env = std::getenv("DBSA_BUILTIN_MODEL"); env && *env) tried.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    tried.push_back(exe.parent_path().parent_path() / "share" / "dbsa-studio" / "models" / kBuiltinModelFile);
#ifdef DBSA_SOURCE_MODEL_DIR  // set for the library's own build (core/model/CMakeLists.txt), not the fuzzer's
  tried.push_back(fs::path(DBSA_SOURCE_MODEL_DIR) / kBuiltinModelFile);
#endif
  for (const auto& p : tried)
    if (fs::is_regular_file(p, ec)) return p;
  std::string where;
  for (const auto& p : tried) where += (where.empty() ? "" : ", ") + p.string();
  throw std::runtime_error("the built-in model is not installed (looked at " + where +
                           "; set DBSA_BUILTIN_MODEL to its path)");
}

std::filesystem::path resolve_model_path(std::string_view spec) {
  if (spec == kBuiltinModelName) return builtin_model_path();
  return std::filesystem::path(spec);
}

}  // namespace dbsa
