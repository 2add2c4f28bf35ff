#include "engine/backend_module.h"

#include "engine/backend_module_abi.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>

namespace dbsa {

namespace {

namespace fs = std::filesystem;

// The module backends and what a user does about a missing module or a library it needs.
struct ModuleBackend {
  std::string name;
  std::string install_hint;
  std::string dependency_hint;
};

const std::vector<ModuleBackend>& module_backends() {
  static const std::vector<ModuleBackend> backends{
      {"cuda",
       "install the dbsa-studio-cuda package, or build with -DDBSA_WITH_CUDA=ON where nvcc is installed",
       "the CUDA runtime (libcudart, libcublas) is not on the library path; install it"}};
  return backends;
}

const ModuleBackend& module_backend(const std::string& name) {
  for (const ModuleBackend& b : module_backends())
    if (b.name == name) return b;
  throw std::logic_error("backend '" + name + "' does not come from a module");
}

fs::path program_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

const std::vector<std::string>& module_backend_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const ModuleBackend& b : module_backends()) out.push_back(b.name);
    return out;
  }();
  return names;
}

bool is_module_backend(const std::string& name) {
  for (const ModuleBackend& b : module_backends())
    if (b.name == name) return true;
  return false;
}

std::string backend_module_file(const std::string& name) {
  return "libdbsa_" + name + ".so";
}

std::vector<fs::path> backend_module_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("DBSA_MODULE_DIR"); env != nullptr && *env != '\0')
    dirs.emplace_back(env);
  if (const fs::path dir = program_dir(); !dir.empty()) {
    dirs.push_back(dir);
    dirs.push_back((dir / ".." / "lib" / "dbsa-studio").lexically_normal());
  }
  return dirs;
}

fs::path find_backend_module(const std::string& name) {
  for (const fs::path& dir : backend_module_dirs()) {
    std::error_code ec;
    const fs::path path = dir / backend_module_file(name);
    if (fs::is_regular_file(path, ec)) return path;
  }
  return {};
}

void load_backend_module(const std::string& name) {
  const ModuleBackend& backend = module_backend(name);
  // One load per name and process: a module's registration replaces makers other threads may be using.
  static std::mutex mu;
  static std::set<std::string> loaded;
  std::lock_guard lock(mu);
  if (loaded.count(name) != 0) return;

  const std::string file = backend_module_file(name);
  const std::string prefix = "backend '" + name + "': ";
  const fs::path found = find_backend_module(name);
  const std::string target = found.empty() ? file : found.string();
  void* handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const std::string why = dlerror();
    // Looked up by bare name, the module itself is what is missing when the message starts with it.
    if (found.empty() && why.rfind(file + ":", 0) == 0) {
      std::string where;
      for (const fs::path& dir : backend_module_dirs()) where += dir.string() + ", ";
      throw std::runtime_error(prefix + "the module " + file + " is not installed (looked in " + where +
                               "and the library path); " + backend.install_hint);
    }
    throw std::runtime_error(prefix + "cannot load " + target + ": " + why + " (" + backend.dependency_hint +
                             ")");
  }
  // Once its entry has registered, the module stays loaded: the makers it registered point into it.
  auto entry = reinterpret_cast<BackendModuleEntry>(dlsym(handle, kBackendModuleEntry));
  if (entry == nullptr) {
    dlclose(handle);
    throw std::runtime_error(prefix + target + " is not a DBSA Studio backend module (no " +
                             std::string(kBackendModuleEntry) + ")");
  }
  if (const char* refusal = entry(kBackendModuleAbi); refusal != nullptr) {
    const std::string why = refusal;  // the text lives in the module
    dlclose(handle);
    throw std::runtime_error(prefix + target + ": " + why);
  }
  loaded.insert(name);
}

}  // namespace dbsa
