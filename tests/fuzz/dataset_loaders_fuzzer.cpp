// libFuzzer entry point; the contract lives in dataset_loaders_harness.cpp, shared with the replay test.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataset_loaders_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbsa::fuzz::check_dataset_loaders(std::span(data, size));
  return 0;
}
