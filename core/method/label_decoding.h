#pragma once
// The end of every method: run the query's tokens after a KV context (dense causal over all of it) and
// decode a label with constrained greedy decoding over the label set's shortened tokens (docs/METHOD.md
// "Label decoding").
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/constrained_decoding.h"
#include "engine/kv_cache.h"
#include "engine/llama_model.h"
#include "icl/label_set.h"
#include "method/prediction.h"

namespace dbsa {

// The trie of labels.decode_tokens, tagged with label ids.
TokenTrie label_trie(const LabelSet& labels);

// The rule every method's query obeys (model/context_limit.h): the context it attends to, the query and
// the longest label it may decode together fit the model's context limit. `context_what` names who asks
// and the context ("query: sink block", "query: 6 selected blocks", ...); `advice` says which option
// makes it smaller. Throws ContextLengthError "<context_what> + query + label (a + b + c): N tokens,
// more than ...".
void check_query_fits(const LlamaModel& model, int64_t context_tokens, int64_t query_tokens,
                      const LabelSet& labels, std::string_view context_what, std::string_view advice = {});

// Appends the query tokens to `context` (positions continuing after its last row, or 0 when empty),
// decodes, and fills label, label_tokens, query_tokens, forward_s and decode_s of `out` (and
// last_logits when keep_logits). The context grows by the query and decoded tokens. Checks
// check_query_fits first (a context of "context" tokens) and runs nothing when it fails. A capture, when
// given, receives the query tokens' attention weights (its queries index the query tokens).
void answer_query(LlamaModel& model, KvCache& context, std::span<const int32_t> query_tokens,
                  const LabelSet& labels, const TokenTrie& trie, bool keep_logits, Prediction& out,
                  AttentionCapture* capture = nullptr);

}  // namespace dbsa
