#pragma once
// The prompt of retrieval-icl: the demonstrations BM25 picks for a query, arranged, formatted, joined
// and tokenized exactly like a one-block pool, so the same demos served from a KV block cache give the
// same tokens.
#include <cstdint>
#include <span>
#include <vector>

#include "icl/dataset.h"
#include "icl/template.h"
#include "method/prediction.h"
#include "method/query.h"
#include "retrieval/retriever.h"
#include "text/tokenizer.h"

namespace dbsa {

// Hits (doc id = pool index) arranged in context order: in-order = ascending pool index, hi2lo = best
// first, lo2hi = best last (next to the query), reversed = descending pool index.
std::vector<RetrievedDemo> arrange_demos(std::span<const RetrievalHit> hits, BlockOrder order);

// Tokens of the chosen demonstrations joined by the separator (BOS first when bos), followed by nothing:
// the query's tokens come after them.
std::vector<int32_t> retrieval_prompt_tokens(const Tokenizer& tok, const PromptTemplate& prompt,
                                             const std::vector<Example>& demos,
                                             std::span<const RetrievedDemo> chosen, bool bos);

}  // namespace dbsa
