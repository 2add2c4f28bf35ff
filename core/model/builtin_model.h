#pragma once
// The project's own trained model (resources/models/README.md): where a program finds it. Installed
// builds carry it in share/dbsa-studio/models beside bin/; a build tree uses the source checkout's copy.
#include <filesystem>
#include <string_view>

namespace dbsa {

// The file name of the built-in model, and the word that names it on the command line (`--model builtin`).
inline constexpr std::string_view kBuiltinModelFile = "dbsa-icl-mini.gguf";
inline constexpr std::string_view kBuiltinModelName = "builtin";

// The first that exists of: $DBSA_BUILTIN_MODEL, <executable>/../share/dbsa-studio/models/FILE, the
// source tree's resources/models/FILE. Throws naming every place looked at when none does.
std::filesystem::path builtin_model_path();

// `spec` itself, or the built-in model's path when `spec` is "builtin".
std::filesystem::path resolve_model_path(std::string_view spec);

}  // namespace dbsa
