// libFuzzer entry point; the contract lives in gguf_reader_harness.cpp, shared with the replay test.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf_reader_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbsa::fuzz::check_gguf_reader(std::span(data, size));
  return 0;
}
