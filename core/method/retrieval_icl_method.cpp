// `retrieval-icl`: per query, BM25 over single demonstrations picks k = n_select x block_demos of them;
// they are formatted and encoded from scratch with dense attention, then the query (no cache: the slow,
// accurate reference of the paper).
#include <chrono>
#include <stdexcept>

#include "icl/block_tokens.h"
#include "method/label_decoding.h"
#include "method/method_factories.h"
#include "method/retrieval_prompt.h"
#include "retrieval/bm25_retriever.h"

namespace dbsa {
namespace {

class RetrievalIclMethod final : public Method {
 public:
  explicit RetrievalIclMethod(MethodInputs in) : in_(std::move(in)) {
    labels_ = checked_label_set(in_, "retrieval-icl");
    trie_ = label_trie(labels_);
    if (in_.demos.empty()) throw std::invalid_argument("retrieval-icl: the pool is empty");
    if (in_.layout.block_demos <= 0)
      throw std::invalid_argument("retrieval-icl: block_demos must be positive");
  }
  std::string_view name() const override { return "retrieval-icl"; }

  bool setup(const Progress& progress) override {
    const auto t0 = std::chrono::steady_clock::now();
    auto idx = Bm25Retriever::in_memory();
    for (size_t i = 0; i < in_.demos.size(); ++i) {
      idx->add(static_cast<DocId>(i),
               format_demo(in_.manifest.prompt, in_.demos[i].text, in_.demos[i].label));
      if (progress && (i + 1) % 256 == 0 &&
          !progress(static_cast<double>(i + 1) / static_cast<double>(in_.demos.size())))
        return false;
    }
    idx->commit();
    index_ = std::move(idx);
    if (progress) progress(1.0);
    setup_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return true;
  }
  double setup_seconds() const override { return setup_s_; }
  uint64_t kv_bytes() const override { return 0; }

  size_t k() const {
    if (in_.query.n_select == kAllBlocks) return in_.demos.size();
    return static_cast<size_t>(in_.query.n_select) * static_cast<size_t>(in_.layout.block_demos);
  }

  Prediction predict(std::string_view text) override {
    using Clock = std::chrono::steady_clock;
    if (!index_) throw std::logic_error("retrieval-icl: predict() before setup()");
    Prediction p;
    const auto t0 = Clock::now();
    const auto hits = index_->search(text, k());
    p.demos = arrange_demos(hits, in_.query.order);
    const auto t1 = Clock::now();
    const auto prompt =
        retrieval_prompt_tokens(*in_.tok, in_.manifest.prompt, in_.demos, p.demos, in_.layout.bos);
    const auto q = tokenize_query(*in_.tok, in_.manifest.prompt, text);
    check_query_fits(*in_.model, static_cast<int64_t>(prompt.size()), static_cast<int64_t>(q.size()), labels_,
                     "retrieval-icl: " + std::to_string(p.demos.size()) + " retrieved demonstrations",
                     "retrieve fewer (--select x --block-demos)");
    KvCache kv = in_.model->make_cache(static_cast<int64_t>(prompt.size()) + 256);
    ForwardRequest req;
    req.tokens = prompt;
    req.logits = LogitsMode::None;
    req.ubatch = in_.chunk_tokens;
    in_.model->forward(kv, req);
    const auto t2 = Clock::now();
    p.context_tokens = kv.size();
    answer_query(*in_.model, kv, q, labels_, trie_, in_.query.keep_logits, p);
    p.timings.retrieval_s = std::chrono::duration<double>(t1 - t0).count();
    p.timings.assembly_s = std::chrono::duration<double>(t2 - t1).count();
    return p;
  }

 private:
  MethodInputs in_;
  LabelSet labels_;
  TokenTrie trie_;
  std::unique_ptr<Bm25Retriever> index_;
  double setup_s_ = 0.0;
};

}  // namespace

std::unique_ptr<Method> make_retrieval_icl_method(MethodInputs in) {
  return std::make_unique<RetrievalIclMethod>(std::move(in));
}

}  // namespace dbsa
