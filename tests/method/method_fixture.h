#pragma once
// Shared inputs of the method tests: the tiny F32 SentencePiece model (random weights, real Llama-2
// tokenizer), loaded once, and small TREC pools grouped into blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache_manifest.h"
#include "engine/llama_model.h"
#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "icl/dataset_loaders.h"
#include "icl/grouping.h"
#include "icl/label_set.h"
#include "icl/pool.h"
#include "method/method.h"
#include "model/gguf_file.h"
#include "support/test_paths.h"
#include "text/tokenizer.h"

namespace dbsa::test {

inline std::string tiny_model_path() {
  return fixture("models/tiny-spm-f32.gguf").string();
}

struct TinyModel {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tok;
};

inline TinyModel& tiny() {
  static TinyModel m = [] {
    TinyModel t;
    t.model = LlamaModel::load(tiny_model_path(), 2);
    t.tok = Tokenizer::from_gguf(*GgufFile::open(tiny_model_path()));
    return t;
  }();
  return m;
}

inline const Dataset& trec() {
  static const Dataset ds = load_paper_dataset("trec", data(""));
  return ds;
}

// The manifest of a TREC cache built with the tiny model (a fixed stand-in for its file fingerprint).
inline CacheManifest tiny_trec_manifest(uint64_t seed) {
  CacheManifest m;
  m.model_path = tiny_model_path();
  m.model_fingerprint = "tiny-spm-f32";
  m.tokenizer_fingerprint = tokenizer_fingerprint(*tiny().tok);
  m.dataset = "trec";
  m.prompt = trec().prompt;
  m.labels = trec().labels;
  m.seed = seed;
  return m;
}

struct SmallPool {
  std::vector<Example> demos;
  Blocks blocks;
  std::vector<std::string> texts;
  std::vector<std::vector<TokenId>> tokens;
};

// n_demos TREC training questions (seeded draw) in blocks of block_demos, in pool order.
inline SmallPool small_pool(size_t n_demos, size_t block_demos, uint64_t seed) {
  SmallPool p;
  p.demos = draw_pool(trec().train, n_demos, seed).demos;
  for (size_t i = 0; i < n_demos; i += block_demos) {
    std::vector<size_t> b;
    for (size_t j = i; j < std::min(n_demos, i + block_demos); ++j) b.push_back(j);
    p.blocks.push_back(b);
  }
  p.texts = block_texts(p.demos, p.blocks, trec().prompt);
  p.tokens = tokenize_blocks(*tiny().tok, p.texts, false);
  return p;
}

// Method inputs over the tiny model and `pool` (TREC manifest, given seed), KV store under cache_root.
inline MethodInputs method_inputs(const SmallPool& pool, int32_t block_demos, uint64_t seed,
                                  const std::filesystem::path& cache_root) {
  MethodInputs in;
  in.model = tiny().model.get();
  in.tok = tiny().tok.get();
  in.manifest.model_path = tiny_model_path();
  in.manifest.model_fingerprint = "tiny-spm-f32";
  in.manifest.tokenizer_fingerprint = tokenizer_fingerprint(*tiny().tok);
  in.manifest.dataset = "trec";
  in.manifest.prompt = trec().prompt;
  in.manifest.labels = trec().labels;
  in.manifest.seed = seed;
  in.demos = pool.demos;
  in.blocks = pool.blocks;
  in.layout.block_demos = block_demos;
  in.cache_root = cache_root;
  in.chunk_tokens = 64;
  return in;
}

inline double max_abs(const std::vector<float>& a) {
  double m = 0.0;
  for (const float x : a) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

inline double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace dbsa::test
