#pragma once
// The model identity a KV block cache is keyed by. The same GGUF file computes different K/V when its
// quantized matrices are held in their blocks (the default), dequantized to F16 (`--weights-f16`) or to
// F32 (`--weights-f32`), so those caches must not be reused for each other: the holding is appended to
// the file's fingerprint ("+q-blocks", "+dequant-f32"). F16 keeps the plain fingerprint (it was the only
// holding when caches were first named, so those caches keep their names), and so do files without
// quantized matrices, for which the options change no value.
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
// which opens a cache's model itself); none for a holding this version does not know. A cache of a file
// without quantized matrices carries no holding and gets F16, which changes none of its values.
std::optional<WeightPrecision> cache_weight_precision(const std::string& cache_fingerprint);

// How a cache's model held its weights, for listings: "native", "f16" or "f32" (weight_precision_name)
// when the model file has quantized tensors (has_quantized_tensors), "" when it has none (every holding
// computes the same), "unknown" for a holding this version does not know.
std::string cache_weights_name(const std::string& cache_fingerprint, bool file_quantized);

}  // namespace dbsa
