#include "method/cache_session.h"

#include <stdexcept>

#include "cache/fingerprint.h"
#include "icl/block_tokens.h"
#include "icl/label_set.h"
#include "method/cache_builder.h"
#include "method/dense_block_retriever.h"
#include "method/model_identity.h"
#include "util/name_list.h"

namespace dbsa {

std::vector<std::string> block_retriever_names() {
  return {"bm25", "dense"};
}

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
    retriever = open_block_bm25(cache_, &index_note_);
  else if (opts.retriever == "dense")
    retriever = open_block_dense(*model_, *tok_, cache_,
                                 opts.dense_layer >= 0 ? opts.dense_layer : default_embedding_layer(*model_),
                                 &index_note_);
  else
    throw std::invalid_argument("query: --retriever '" + opts.retriever + "': expected one of " +
                                name_list(block_retriever_names()));
  retriever_name_ = opts.retriever;
  query_ = std::make_unique<BlockQuery>(*model_, cache_, *tok_, manifest_.prompt,
                                        make_label_set(*tok_, manifest_.labels), std::move(retriever));
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

CapturedQuery CacheSession::run_captured(std::string_view text, QueryConfig cfg, int32_t layer,
                                         int32_t head) {
  const ModelHParams& hp = model_->hparams();
  if (layer < 0 || layer >= static_cast<int32_t>(hp.n_layer) || head < 0 ||
      head >= static_cast<int32_t>(hp.n_head))
    throw std::invalid_argument("attention capture: layer " + std::to_string(layer) + " head " +
                                std::to_string(head) + " is outside the cache's model (" +
                                std::to_string(hp.n_layer) + " layers of " + std::to_string(hp.n_head) +
                                " heads, from 0)");
  CapturedQuery q;
  q.query_tokens = tokenize_query(*tok_, manifest_.prompt, text);
  q.capture.layer = layer;
  q.capture.head = head;
  for (int64_t i = 0; i < static_cast<int64_t>(q.query_tokens.size()); ++i) q.capture.queries.push_back(i);
  cfg.capture = &q.capture;
  q.prediction = query_->run(text, cfg);
  std::vector<int32_t> ids;
  for (const auto& b : q.prediction.blocks) ids.push_back(b.block);
  q.context_tokens = cache_.token_ids(ids);
  return q;
}

bool CacheSession::built_from(const std::vector<Example>& demos) const {
  // The pool fingerprint covers the demonstrations, seed, template and labels; the layout fields of the
  // key do not matter here.
  return block_cache_key(manifest_, demos, CacheLayoutSpec{}).pool_fingerprint ==
         cache_.meta().key.pool_fingerprint;
}

}  // namespace dbsa
