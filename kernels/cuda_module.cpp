// The entry of libdbsa_cuda.so (engine/backend_module.h): the program that dlopens it calls this once,
// and the module registers the "cuda" backend and its device-resident forward pass into the program's
// registry.
#include "cuda_backend.h"
#include "engine/backend_module_abi.h"

extern "C" __attribute__((visibility("default"))) const char* dbsa_backend_module_register(
    const char* host_abi) {
  if (const char* refusal = dbsa::backend_module_refusal(host_abi)) return refusal;
  dbsa::cuda::register_cuda_backend();
  return nullptr;
}
