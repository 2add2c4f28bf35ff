#pragma once
// What a backend module and the program loading it compare before the module registers anything
// (engine/backend_module.h): the same DBSA Studio version and the same compiler, since the two share
// C++ classes. Each side compiles the text in, so a file including this one must be given
// DBSA_PROJECT_VERSION (core/engine/CMakeLists.txt and kernels/CMakeLists.txt do).
#ifndef DBSA_PROJECT_VERSION
#error "DBSA_PROJECT_VERSION must be defined where the backend module ABI is compared"
#endif

#include <cstring>
#include <string>

namespace dbsa {

// Internal linkage (static) on purpose: the program exports its symbols to modules, so an inline
// definition here would resolve to the program's copy inside a module and every module would agree.
static constexpr char kBackendModuleAbi[] = "dbsa-backend-module-1 " DBSA_PROJECT_VERSION " " __VERSION__;

// The one C function a module exports. It registers the module's backend (register_backend) and returns
// null, or returns why it cannot (a module of another build); the text stays valid while the module is
// loaded.
using BackendModuleEntry = const char* (*)(const char* host_abi);
inline constexpr char kBackendModuleEntry[] = "dbsa_backend_module_register";

// A module's answer to the program's promise, for its entry to return: null when both were built alike.
static inline const char* backend_module_refusal(const char* host_abi) {
  if (host_abi != nullptr && std::strcmp(host_abi, kBackendModuleAbi) == 0) return nullptr;
  static const std::string why = std::string("built for another DBSA Studio build (module: ") +
                                 kBackendModuleAbi + "; program: " + (host_abi != nullptr ? host_abi : "?") +
                                 "); install the module of the program's version";
  return why.c_str();
}

}  // namespace dbsa
