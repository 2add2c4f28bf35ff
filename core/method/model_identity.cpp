#include "method/model_identity.h"

#include "cache/fingerprint.h"

namespace dbsa {

namespace {

constexpr char kSeparator = '+';
constexpr QuantizedHolding kHoldings[] = {QuantizedHolding::InBlocks, QuantizedHolding::F16,
                                          QuantizedHolding::F32};

// The suffix of each holding; F16 has none (it was the only holding when caches were first named).
std::string holding_suffix(QuantizedHolding h) {
  switch (h) {
    case QuantizedHolding::F16:
      return "";
    case QuantizedHolding::F32:
      return "dequant-f32";
    case QuantizedHolding::InBlocks:
      return "q-blocks";
  }
  return "";
}

std::string holding_advice(QuantizedHolding h) {
  switch (h) {
    case QuantizedHolding::F16:
      return "with 16-bit weights (quantized ones dequantized to F16); load them the same way "
             "(--weights-f16)";
    case QuantizedHolding::F32:
      return "with the weights held as F32; load them the same way (--weights-f32)";
    case QuantizedHolding::InBlocks:
      return "with the quantized weights in their blocks (the default); load them without --weights-f16/-f32";
  }
  return "";
}

// The suffix of a cache identity, empty when it has none.
std::string fingerprint_suffix(const std::string& cache_fingerprint) {
  const auto sep = cache_fingerprint.find(kSeparator);
  return sep == std::string::npos ? "" : cache_fingerprint.substr(sep + 1);
}

// The holding that decides this model's values: its quantized matrices' holding, else F32 where 16-bit
// matrices were expanded (the F32 holding of a file without quantized matrices), else none.
std::optional<QuantizedHolding> value_holding(const ModelWeights& w) {
  if (w.quantized) return w.quantized;
  if (w.expanded_16bit) return QuantizedHolding::F32;
  return std::nullopt;
}

}  // namespace

std::string cache_model_fingerprint(const std::string& file_fingerprint, const ModelWeights& weights) {
  const auto holding = value_holding(weights);
  if (!holding) return file_fingerprint;
  const std::string suffix = holding_suffix(*holding);
  return suffix.empty() ? file_fingerprint : file_fingerprint + kSeparator + suffix;
}

CacheManifest model_manifest(const std::filesystem::path& model_path, const std::string& file_fingerprint,
                             const ModelWeights& weights, const Tokenizer& tok) {
  CacheManifest m;
  m.model_path = std::filesystem::absolute(model_path).string();
  m.model_fingerprint = cache_model_fingerprint(
      file_fingerprint.empty() ? fingerprint_file(model_path) : file_fingerprint, weights);
  m.tokenizer_fingerprint = tokenizer_fingerprint(tok);
  return m;
}

std::string precision_mismatch(const std::string& cache_fingerprint, const std::string& file_fingerprint,
                               const ModelWeights& weights) {
  const std::string ours = cache_model_fingerprint(file_fingerprint, weights);
  if (ours == cache_fingerprint) return {};
  const std::string suffix = fingerprint_suffix(cache_fingerprint);
  for (const QuantizedHolding h : kHoldings)
    if (holding_suffix(h) == suffix) return "computed " + holding_advice(h);
  return "computed with a weight precision this version does not know ('" + suffix + "'); rebuild the cache";
}

std::optional<WeightPrecision> cache_weight_precision(const std::string& cache_fingerprint) {
  const std::string suffix = fingerprint_suffix(cache_fingerprint);
  for (const WeightPrecision p : {WeightPrecision::Native, WeightPrecision::F16, WeightPrecision::F32})
    if (holding_suffix(WeightLoadOptions::for_precision(p).quantized) == suffix) return p;
  return std::nullopt;
}

std::string cache_weights_name(const std::string& cache_fingerprint, bool holding_matters) {
  if (!holding_matters) return "";
  const auto p = cache_weight_precision(cache_fingerprint);
  return p ? std::string(weight_precision_name(*p)) : "unknown";
}

std::string file_part_of_fingerprint(const std::string& cache_model_fingerprint) {
  return cache_model_fingerprint.substr(0, cache_model_fingerprint.find(kSeparator));
}

}  // namespace dbsa
