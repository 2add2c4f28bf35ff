#pragma once
// How a model's weight matrices are held in memory, for `dbsa model info` and the studio's Model page:
// per file type what it became (its blocks, F16, F32), whether that is the mapped file's bytes or a copy
// made at load, and the instruction set the integer kernels of each type held in blocks run on.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model_weights.h"
#include "engine/quant_kernels.h"

namespace dbsa {

struct HeldMatrices {
  std::string file_type;  // "Q4_K"
  std::string held_as;    // "Q4_K" (its blocks), "F16", "F32"
  bool in_place = false;  // the mapped file's bytes, not a copy
  int count = 0;
  int64_t bytes = 0;
};

struct WeightHolding {
  std::vector<HeldMatrices> groups;  // one per (file type, held as, in place), in that order
  int64_t mapped_bytes = 0, copied_bytes = 0;
  std::vector<std::pair<std::string, std::string>> kernels;  // (type in blocks, isa_name), by type name
};

// The matrix is the mapped bytes of `file_owner`, the GGUF file the weights were loaded from, not a copy.
inline bool held_in_place(const WeightMatrix& m, const void* file_owner) {
  return m.owner.get() == file_owner;
}

// `file_owner`: as held_in_place.
// `kernels`: the choice of the backend the model runs on (engine/cpu_backend.h).
WeightHolding describe_holding(const ModelWeights& w, const void* file_owner, QuantKernels kernels);

// "Q4_K in its blocks ×169 (mapped, 88.8 MiB); Q8_1 as F16 ×2 (copied at load, 4.5 MiB); F32 ×61 (mapped,
// 0.1 MiB)".
std::string held_summary(const WeightHolding& h);
// "Q4_K amx, Q6_K amx"; empty when no matrix is held in blocks.
std::string kernels_summary(const WeightHolding& h);

}  // namespace dbsa
