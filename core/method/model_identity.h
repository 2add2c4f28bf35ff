#pragma once
// The model identity a KV block cache is keyed by. The same GGUF file computes different K/V when its
// quantized matrices are held in their blocks (the default), dequantized to F16 (`--weights-f16`) or to
// F32 (`--weights-f32`), so those caches must not be reused for each other: the holding is appended to
// the file's fingerprint ("+q-blocks", "+dequant-f32"). F16 keeps the plain fingerprint (it was the only
// holding when caches were first named, so those caches keep their names). A file without quantized
// matrices computes other values only when `--weights-f32` expands its F16/BF16 matrices
// (ModelWeights::expanded_16bit), named "+dequant-f32" as well; an F32 file keeps the plain fingerprint
// under every option.
#include <filesystem>
#include <optional>
#include <string>

#include "cache/cache_manifest.h"
#include "engine/model_weights.h"

namespace dbsa {

std::string cache_model_fingerprint(const std::string& file_fingerprint, const ModelWeights& weights);

// A manifest naming the model of a cache: the file's absolute path (so the cache finds it from any
// folder), cache_model_fingerprint() of it as loaded in `weights`, and the tokenizer's fingerprint. The
// caller adds the dataset, template, labels and seed. file_fingerprint: fingerprint_file(model_path) if
// already computed, or empty to compute it here.
CacheManifest model_manifest(const std::filesystem::path& model_path, const std::string& file_fingerprint,
                             const ModelWeights& weights, const Tokenizer& tok);

// The file part of such an identity (what fingerprint_file gives for the model file).
std::string file_part_of_fingerprint(const std::string& cache_model_fingerprint);

// For a cache of this model file (file parts equal): empty when `weights` were loaded at the cache's
// precision, otherwise "computed with ..." naming the precision the cache was computed with and the
// flag that matches it.
std::string precision_mismatch(const std::string& cache_fingerprint, const std::string& file_fingerprint,
                               const ModelWeights& weights);

// The weight precision that loads the cache's model file as the cache was computed (for the studio,
// which opens a cache's model itself); none for a holding this version does not know. A plain identity
// (no holding) gets F16, which holds a 16-bit or F32 file as its native holding does.
std::optional<WeightPrecision> cache_weight_precision(const std::string& cache_fingerprint);

// How a cache's model held its weights, for listings: "native", "f16" or "f32" (weight_precision_name)
// when the holding matters for the model file (weights_holding_matters; a 16-bit file's plain identity
// reads "f16", which is how its native holding keeps it), "" when it does not (every holding computes
// the same), "unknown" for a holding this version does not know.
std::string cache_weights_name(const std::string& cache_fingerprint, bool holding_matters);

}  // namespace dbsa
