// libFuzzer entry point; the contract lives in cache_folder_harness.cpp, shared with the replay test.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cache_folder_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbsa::fuzz::check_cache_folder(std::span(data, size));
  return 0;
}
