// `cached-icl` (prefix cache): the whole pool encoded once with dense causal attention and kept in
// memory; every query runs after all of it, and the cache is cut back to the pool afterwards.
#include <chrono>
#include <stdexcept>

#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "method/label_decoding.h"
#include "method/method_factories.h"

namespace dbsa {
namespace {

class CachedIclMethod final : public Method {
 public:
  explicit CachedIclMethod(MethodInputs in) : in_(std::move(in)) {
    labels_ = checked_label_set(in_, "cached-icl");
    trie_ = label_trie(labels_);
    if (in_.blocks.empty()) throw std::invalid_argument("cached-icl: the pool has no blocks");
  }
  std::string_view name() const override { return "cached-icl"; }

  bool setup(const Progress& progress) override {
    const auto t0 = std::chrono::steady_clock::now();
    // The same tokens as the block cache methods see: the blocks' tokens in pool order.
    const auto tokens =
        tokenize_blocks(*in_.tok, block_texts(in_.demos, in_.blocks, in_.manifest.prompt), in_.layout.bos);
    std::vector<int32_t> all;
    for (const auto& b : tokens) all.insert(all.end(), b.begin(), b.end());
    for (const auto& b : tokens)
      blocks_.push_back({static_cast<int32_t>(blocks_.size()), 0.0, static_cast<int32_t>(b.size()), false});
    KvCache kv = in_.model->make_cache(static_cast<int64_t>(all.size()) + 256, KeyStorage::PostRope);
    const auto n = static_cast<int64_t>(all.size());
    // Every query attends to the whole pool: one that cannot fit beside a query is refused before the
    // pool is encoded (the queries' own share is checked per query).
    check_context(in_.model->context_limit(), n,
                  "cached-icl: the pool (" + std::to_string(tokens.size()) + " blocks, " +
                      std::to_string(in_.demos.size()) + " demonstrations)",
                  "use fewer demonstrations (--blocks, --block-demos)");
    const int64_t step = std::max<int64_t>(1, in_.chunk_tokens);
    for (int64_t c0 = 0; c0 < n; c0 += step) {
      const int64_t c1 = std::min(n, c0 + step);
      ForwardRequest req;
      req.tokens =
          std::span<const int32_t>(all).subspan(static_cast<size_t>(c0), static_cast<size_t>(c1 - c0));
      req.logits = LogitsMode::None;
      in_.model->forward(kv, req);
      if (progress && !progress(static_cast<double>(c1) / static_cast<double>(n))) return false;
    }
    kv_ = std::move(kv);
    prefix_ = n;
    setup_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return true;
  }
  double setup_seconds() const override { return setup_s_; }
  uint64_t kv_bytes() const override { return prefix_ > 0 ? static_cast<uint64_t>(kv_.bytes()) : 0; }

  Prediction predict(std::string_view text) override {
    if (prefix_ == 0) throw std::logic_error("cached-icl: predict() before setup()");
    Prediction p;
    p.blocks = blocks_;
    p.context_tokens = prefix_;
    const auto q = tokenize_query(*in_.tok, in_.manifest.prompt, text);
    try {
      answer_query(*in_.model, kv_, q, labels_, trie_, in_.query.keep_logits, p);
    } catch (...) {
      kv_.truncate(prefix_);
      throw;
    }
    kv_.truncate(prefix_);
    return p;
  }

 private:
  MethodInputs in_;
  LabelSet labels_;
  TokenTrie trie_;
  KvCache kv_;
  int64_t prefix_ = 0;
  std::vector<SelectedBlock> blocks_;
  double setup_s_ = 0.0;
};

}  // namespace

std::unique_ptr<Method> make_cached_icl_method(MethodInputs in) {
  return std::make_unique<CachedIclMethod>(std::move(in));
}

}  // namespace dbsa
