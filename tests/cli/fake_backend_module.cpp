// Stand-ins for libdbsa_cuda.so that need no CUDA, so that the module loader's paths
// (engine/backend_module.h) are tested in every build (tests/cli/CMakeLists.txt builds three):
// one that registers a "cuda" backend without a device, one that needs a library the test leaves
// out (DBSA_FAKE_MISSING_LIBRARY), and one of another version (DBSA_FAKE_OTHER_BUILD).
#include <memory>
#include <stdexcept>

#ifdef DBSA_FAKE_OTHER_BUILD
#undef DBSA_PROJECT_VERSION
#define DBSA_PROJECT_VERSION "0.0.0-other"
#endif
#include "engine/backend_module_abi.h"
#include "engine/backend_registry.h"

#ifdef DBSA_FAKE_MISSING_LIBRARY
extern "C" int dbsa_fake_dependency();
#endif

extern "C" __attribute__((visibility("default"))) const char* dbsa_backend_module_register(
    const char* host_abi) {
#ifdef DBSA_FAKE_MISSING_LIBRARY
  // A call, so that the linker keeps the library among the module's needs.
  if (dbsa_fake_dependency() != 0) return "unreachable: the dependency is left out";
#endif
  if (const char* refusal = dbsa::backend_module_refusal(host_abi)) return refusal;
  dbsa::register_backend("cuda", [](int) -> std::shared_ptr<dbsa::Backend> {
    throw std::runtime_error(
        "no usable CUDA device (the test module registered, the program's registry called it)");
  });
  return nullptr;
}
