// libFuzzer entry point; the contract lives in block_view_harness.cpp, shared with the replay test.
#include <cstddef>
#include <cstdint>
#include <span>

#include "block_view_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbsa::fuzz::check_block_view(std::span(data, size));
  return 0;
}
