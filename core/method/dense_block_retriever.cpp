#include "method/dense_block_retriever.h"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "cache/cache_index.h"
#include "retrieval/dense_retriever.h"

namespace dbsa {
namespace {

constexpr const char* kDenseIndexFileName = "index.faiss";

}  // namespace

std::vector<float> mean_hidden_state(LlamaModel& model, std::span<const int32_t> tokens, int32_t layer) {
  if (tokens.empty()) throw std::invalid_argument("embedding: no tokens");
  const auto embd = static_cast<size_t>(model.hparams().n_embd);
  std::vector<double> sum(embd, 0.0);
  KvCache kv = model.make_cache(static_cast<int64_t>(tokens.size()));
  ForwardRequest req;
  req.tokens = tokens;
  req.logits = LogitsMode::None;
  req.hidden_layer = layer;
  req.on_hidden = [&](int64_t, int64_t n, const float* h) {
    for (int64_t t = 0; t < n; ++t)
      for (size_t i = 0; i < embd; ++i) sum[i] += h[static_cast<size_t>(t) * embd + i];
  };
  model.forward(kv, req);
  std::vector<float> mean(embd);
  for (size_t i = 0; i < embd; ++i) mean[i] = static_cast<float>(sum[i] / static_cast<double>(tokens.size()));
  return mean;
}

int32_t default_embedding_layer(const LlamaModel& model) {
  return static_cast<int32_t>(model.hparams().n_layer) / 2;
}

std::shared_ptr<const Retriever> open_block_dense(LlamaModel& model, const Tokenizer& tok,
                                                  const BlockCache& cache, int32_t layer, std::string* note) {
  if (layer < 0 || layer > static_cast<int32_t>(model.hparams().n_layer))
    throw std::invalid_argument("dense retrieval: layer " + std::to_string(layer) + " outside 0.." +
                                std::to_string(model.hparams().n_layer));
  Embedder embed = [&model, &tok, layer](std::string_view text) {
    EncodeOptions eo;
    eo.add_bos = false;
    const auto ids = tok.encode(text, eo);
    return mean_hidden_state(model, ids, layer);
  };
  const auto name = dense_index_name(layer);
  if (const auto dir = stored_cache_index(cache.dir(), name); !dir.empty()) {
    std::shared_ptr<DenseRetriever> r = DenseRetriever::load(dir / kDenseIndexFileName, embed);
    if (stored_index_covers(dir, r->size(), cache.n_blocks(), note)) return r;
  }
  auto r = std::make_shared<DenseRetriever>(static_cast<int>(model.hparams().n_embd), DenseParams{}, embed);
  for (const auto& b : cache.blocks())
    r->add_embedding(b.index, mean_hidden_state(model, b.token_ids, layer));
  r->commit();
  try {
    write_cache_index(cache.dir(), name,
                      [&r](const std::filesystem::path& tmp) { r->save(tmp / kDenseIndexFileName); });
  } catch (const std::exception&) {
    // A read-only cache folder only costs the next query the same embedding work; the search result
    // does not depend on whether the index was saved.
  }
  return r;
}

}  // namespace dbsa
