// `zero-shot`: the query alone, no demonstrations (the latency a finetuned model would have). The
// prompt is the query body without the demonstration separator, with BOS when the pool would have one.
#include <chrono>
#include <stdexcept>

#include "method/label_decoding.h"
#include "method/method_factories.h"

namespace dbsa {
namespace {

class ZeroShotMethod final : public Method {
 public:
  explicit ZeroShotMethod(MethodInputs in) : in_(std::move(in)) {
    labels_ = checked_label_set(in_, "zero-shot");
    trie_ = label_trie(labels_);
  }
  std::string_view name() const override { return "zero-shot"; }
  bool setup(const Progress& progress) override {
    if (progress) progress(1.0);
    ready_ = true;
    return true;
  }
  double setup_seconds() const override { return 0.0; }
  uint64_t kv_bytes() const override { return 0; }

  Prediction predict(std::string_view text) override {
    if (!ready_) throw std::logic_error("zero-shot: predict() before setup()");
    EncodeOptions eo;
    eo.add_bos = false;
    std::vector<int32_t> q;
    if (in_.layout.bos) {
      if (in_.tok->bos() < 0)
        throw std::invalid_argument("zero-shot: BOS requested but the vocabulary has none");
      q.push_back(in_.tok->bos());
    }
    const auto body = in_.tok->encode(format_query_body(in_.manifest.prompt, text), eo);
    q.insert(q.end(), body.begin(), body.end());
    KvCache kv = in_.model->make_cache(static_cast<int64_t>(q.size() + labels_.max_steps));
    Prediction p;
    answer_query(*in_.model, kv, q, labels_, trie_, in_.query.keep_logits, p);
    return p;
  }

 private:
  MethodInputs in_;
  LabelSet labels_;
  TokenTrie trie_;
  bool ready_ = false;
};

}  // namespace

std::unique_ptr<Method> make_zero_shot_method(MethodInputs in) {
  return std::make_unique<ZeroShotMethod>(std::move(in));
}

}  // namespace dbsa
