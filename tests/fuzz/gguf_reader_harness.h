#pragma once
// The GGUF reader's fuzz contract: any byte string is either a valid GGUF image or a GgufError. Valid
// images are walked completely (every value, every tensor dequantized, hyper-parameters read) and written
// back with GgufWriter, which must reproduce the same metadata and tensor bytes. Throws FuzzFinding.
#include <cstdint>
#include <span>

namespace dbsa::fuzz {

void check_gguf_reader(std::span<const uint8_t> input);

}  // namespace dbsa::fuzz
