#pragma once
// Backends that live in modules loaded at run time (libdbsa_<name>.so), so that the programs link no
// device library: a CUDA-enabled dbsa starts on a machine without the CUDA runtime, and an install
// gains the GPU by adding the dbsa-studio-cuda package (docs/CUDA.md "The CUDA module"). A module
// calls back into the program's engine (the programs export their symbols, app/CMakeLists.txt), so it
// must come from the same sources and compiler: engine/backend_module_abi.h is the promise both sides
// compare.
#include <filesystem>
#include <string>
#include <vector>

namespace dbsa {

// The backends that come from modules: "cuda".
const std::vector<std::string>& module_backend_names();
bool is_module_backend(const std::string& name);

// libdbsa_<name>.so
std::string backend_module_file(const std::string& name);

// Where modules are looked for, in order: $DBSA_MODULE_DIR when set, the running program's folder,
// <program folder>/../lib/dbsa-studio (the installed layout); after these the dynamic linker's own path.
std::vector<std::filesystem::path> backend_module_dirs();

// The module's path when it is in one of backend_module_dirs(), else empty (it may still be on the
// dynamic linker's path).
std::filesystem::path find_backend_module(const std::string& name);

// Loads the named module and lets it register its backend; it stays loaded for the process. Throws
// std::runtime_error with one line that says what is missing: the module (and where it was looked
// for), a library the module needs (the loader's message names it), or a module of another build.
// `name` must be a module backend (is_module_backend).
void load_backend_module(const std::string& name);

}  // namespace dbsa
