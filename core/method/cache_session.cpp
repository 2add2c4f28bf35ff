#include "method/cache_session.h"

#include <stdexcept>

#include "cache/fingerprint.h"
#include "icl/label_set.h"
#include "method/cache_builder.h"
#include "method/dense_block_retriever.h"
#include "method/model_identity.h"

namespace dbsa {

CacheSession::CacheSession(const std::filesystem::path& dir, const CacheSessionOptions& opts,
                           const ModelLoader& load)
    : manifest_(read_manifest(dir)), cache_(BlockCache::open(dir, nullptr, VerifyMode::Lazy)) {
  const auto t0 = std::chrono::steady_clock::now();
  model_path_ = opts.model.empty() ? manifest_.model_path : opts.model.string();
  const std::string fp = fingerprint_file(model_path_);
  if (fp != file_part_of_fingerprint(cache_.meta().key.model_fingerprint))
    throw std::runtime_error("query: " + model_path_ + " is not the model the cache in " + dir.string() +
                             " was built with (fingerprint " + fp + ", cache has " +
                             cache_.meta().key.model_fingerprint + ")");
  std::shared_ptr<const GgufFile> file = GgufFile::open(model_path_);
  tok_ = Tokenizer::from_gguf(*file);
  if (tokenizer_fingerprint(*tok_) != manifest_.tokenizer_fingerprint)
    throw std::runtime_error("query: the tokenizer of " + model_path_ + " differs from the cache's (" +
                             dir.string() + ")");
  model_ = load(file);
  if (const std::string why = precision_mismatch(cache_.meta().key.model_fingerprint, fp, model_->weights());
      !why.empty())
    throw std::runtime_error("query: the cache in " + dir.string() + " was " + why + " (" + model_path_ +
                             ")");
  std::shared_ptr<const Retriever> retriever;
  if (opts.retriever == "bm25")
    retriever = open_block_bm25(cache_);
  else if (opts.retriever == "dense")
    retriever = open_block_dense(*model_, *tok_, cache_,
                                 opts.dense_layer >= 0 ? opts.dense_layer : default_embedding_layer(*model_));
  else
    throw std::invalid_argument("query: --retriever must be bm25 or dense, got '" + opts.retriever + "'");
  retriever_name_ = opts.retriever;
  query_ = std::make_unique<BlockQuery>(*model_, cache_, *tok_, manifest_.prompt,
                                        make_label_set(*tok_, manifest_.labels), std::move(retriever));
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dbsa
