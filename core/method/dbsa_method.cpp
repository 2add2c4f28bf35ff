// `dbsa`: the pool pre-encoded block-sparsely into the KV block store once; per query BM25 over the
// blocks picks n_select of them (sink first), their K/V are assembled and the query runs over them.
#include <chrono>
#include <optional>
#include <stdexcept>

#include "cache/cache_store.h"
#include "method/method_factories.h"

namespace dbsa {
namespace {

class BlockCacheMethod final : public Method {
 public:
  BlockCacheMethod(std::string name, MethodInputs in) : name_(std::move(name)), in_(std::move(in)) {
    labels_ = checked_label_set(in_, name_);
    if (in_.cache_root.empty())
      throw std::invalid_argument(name_ + ": needs a cache root for its KV block store");
    if (in_.blocks.empty()) throw std::invalid_argument(name_ + ": the pool has no blocks");
  }
  std::string_view name() const override { return name_; }

  bool setup(const Progress& progress) override {
    const auto t0 = std::chrono::steady_clock::now();
    CacheStore store(in_.cache_root, in_.cache_lock_wait);
    PreEncodeOptions o;
    o.chunk_tokens = in_.chunk_tokens;
    o.progress = progress;
    const CacheKey key = block_cache_key(in_.manifest, in_.demos, in_.layout);
    const BuildResult r =
        build_block_cache(*in_.model, *in_.tok, store, key, in_.manifest, in_.demos, in_.blocks, o);
    if (r.cancelled) return false;
    reused_ = r.reused;
    cache_.emplace(BlockCache::open(r.dir, &key, VerifyMode::All));
    query_.emplace(*in_.model, *cache_, *in_.tok, in_.manifest.prompt, labels_, open_block_bm25(*cache_));
    setup_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return true;
  }
  double setup_seconds() const override { return setup_s_; }
  bool reused_cache() const override { return reused_; }
  uint64_t kv_bytes() const override { return cache_ ? cache_->kv_bytes() : 0; }

  Prediction predict(std::string_view text) override {
    if (!query_) throw std::logic_error(name_ + ": predict() before setup()");
    return query_->run(text, in_.query);
  }

 private:
  std::string name_;
  MethodInputs in_;
  LabelSet labels_;
  std::optional<BlockCache> cache_;
  std::optional<BlockQuery> query_;
  double setup_s_ = 0.0;
  bool reused_ = false;
};

}  // namespace

std::unique_ptr<Method> make_block_cache_method(std::string name, MethodInputs in) {
  return std::make_unique<BlockCacheMethod>(std::move(name), std::move(in));
}

std::unique_ptr<Method> make_dbsa_method(MethodInputs in) {
  return make_block_cache_method("dbsa", std::move(in));
}

}  // namespace dbsa
