#include "method/model_identity.h"

#include "cache/fingerprint.h"

namespace dbsa {

namespace {
constexpr char kSeparator = '+';
}

std::string cache_model_fingerprint(const std::string& file_fingerprint, const ModelWeights& weights) {
  const auto t = weights.dequantized_type();
  if (!t || *t == WeightType::F16) return file_fingerprint;
  return file_fingerprint + kSeparator + (*t == WeightType::F32 ? "dequant-f32" : "dequant-bf16");
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
  return ours == file_fingerprint
             ? "computed with the quantized weights dequantized to F32; load them the same way "
               "(--weights-f32)"
             : "computed with the quantized weights dequantized to F16 (the default); load them without "
               "--weights-f32";
}

std::string file_part_of_fingerprint(const std::string& cache_model_fingerprint) {
  return cache_model_fingerprint.substr(0, cache_model_fingerprint.find(kSeparator));
}

}  // namespace dbsa
