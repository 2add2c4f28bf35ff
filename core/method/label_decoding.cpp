#include "method/label_decoding.h"

#include <chrono>
#include <stdexcept>
#include <string>

namespace dbsa {

TokenTrie label_trie(const LabelSet& labels) {
  TokenTrie trie;
  for (size_t i = 0; i < labels.decode_tokens.size(); ++i)
    trie.insert(labels.decode_tokens[i], static_cast<int32_t>(i));
  return trie;
}

void check_query_fits(const LlamaModel& model, int64_t context_tokens, int64_t query_tokens,
                      const LabelSet& labels, std::string_view context_what, std::string_view advice) {
  const auto label = static_cast<int64_t>(labels.max_steps);
  check_context(model.context_limit(), context_tokens + query_tokens + label,
                std::string(context_what) + " + query + label (" + std::to_string(context_tokens) + " + " +
                    std::to_string(query_tokens) + " + " + std::to_string(label) + ")",
                advice);
}

void answer_query(LlamaModel& model, KvCache& context, std::span<const int32_t> query_tokens,
                  const LabelSet& labels, const TokenTrie& trie, bool keep_logits, Prediction& out,
                  AttentionCapture* capture) {
  using Clock = std::chrono::steady_clock;
  if (query_tokens.empty()) throw std::invalid_argument("query: the query has no tokens");
  check_query_fits(model, context.size(), static_cast<int64_t>(query_tokens.size()), labels,
                   "query: context");
  const auto t0 = Clock::now();
  ForwardRequest req;
  req.tokens = query_tokens;
  req.logits = LogitsMode::Last;
  req.capture = capture;
  const ForwardResult r = model.forward(context, req);
  const auto t1 = Clock::now();
  const ConstrainedResult c = constrained_greedy(model, context, trie, r.logits);
  const auto t2 = Clock::now();
  if (c.label < 0 || static_cast<size_t>(c.label) >= labels.labels.size())
    throw std::logic_error("query: constrained decoding ended outside the label set");
  out.label_id = c.label;
  out.label = labels.labels[static_cast<size_t>(c.label)];
  out.label_tokens = c.tokens;
  out.query_tokens = static_cast<int64_t>(query_tokens.size());
  out.timings.forward_s = std::chrono::duration<double>(t1 - t0).count();
  out.timings.decode_s = std::chrono::duration<double>(t2 - t1).count();
  if (keep_logits) out.last_logits = r.logits;
}

}  // namespace dbsa
