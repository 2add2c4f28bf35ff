#include "ui/shell/studio_state.h"

#include "engine/backend_registry.h"
#include "method/model_identity.h"

namespace dbsa::ui {

StudioState::StudioState(QObject* parent) : QObject(parent) {}

void StudioState::set_model(OpenModel m) {
  model_ = std::move(m);
  session_.reset();  // a query session loads its model on the open model's backend: make it anew
  Q_EMIT model_changed();
}

void StudioState::set_pool(PoolBlocks p) {
  pool_ = std::move(p);
  Q_EMIT pool_changed();
  Q_EMIT blocks_changed();
}

void StudioState::set_blocks(PoolBlocks p) {
  if (!pool_) return;
  p.pool = pool_->pool;
  p.tests = std::move(pool_->tests);
  p.data_dir = pool_->data_dir;
  pool_ = std::move(p);
  Q_EMIT blocks_changed();
}

void StudioState::set_store_root(std::filesystem::path root) {
  store_root_ = std::move(root);
  Q_EMIT store_changed();
}

const std::filesystem::path& StudioState::cache_dir() const {
  static const std::filesystem::path none;
  return cache_ ? cache_->dir : none;
}

void StudioState::set_cache(std::optional<CacheSummary> cache, std::string model_path) {
  // The same folder listed again is the same cache unless it grew (an append, maybe by another process).
  const bool same = (cache ? cache->dir : std::filesystem::path()) == cache_dir() &&
                    (!cache || cache->n_blocks == cache_->n_blocks);
  if (same) {
    if (!model_path.empty()) cache_model_path_ = std::move(model_path);
    return;
  }
  cache_ = std::move(cache);
  cache_model_path_ = cache_ ? std::move(model_path) : std::string();
  session_.reset();
  const bool had_query = query_.has_value();
  query_.reset();
  Q_EMIT cache_changed();
  if (had_query) Q_EMIT query_changed();
}

bool StudioState::cache_built_with_open_model() const {
  return cache_ && model_ && !model_->fingerprint.empty() &&
         file_part_of_fingerprint(cache_->meta.key.model_fingerprint) == model_->fingerprint;
}

void StudioState::set_session(std::shared_ptr<CacheSession> s) {
  session_ = std::move(s);
}

void StudioState::set_query(QueryOutcome q) {
  query_ = std::move(q);
  Q_EMIT query_changed();
}

void StudioState::set_capture_head(int32_t layer, int32_t head) {
  capture_layer_ = layer;
  capture_head_ = head;
}

std::unique_ptr<LlamaModel> load_studio_model(std::shared_ptr<const GgufFile> file, const StudioLoad& how) {
  const std::string path = file->path();
  auto model = load_model(std::move(file), how.backend, 0, how.precision, how.kv);
  model->set_context_limit(
      context_limit_for(model->hparams(), path, how.max_context, "the Model page's context limit"));
  return model;
}

}  // namespace dbsa::ui
