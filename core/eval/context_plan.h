#pragma once
// Before an evaluation writes anything (eval/eval_inputs.h): for every point and run, the longest
// sequence each of its methods will assemble fits the model's context limit (model/context_limit.h).
// The worst case of a method, from the run's pool draw plus the longest test query and label: dbsa the
// sink and the select - 1 largest other blocks, full-icl and cached-icl the whole pool, retrieval-icl
// the select x block_demos longest demonstrations (estimated from their own token counts), zero-shot
// the query alone; block caches also pass the pre-encoding check (method/pool_context_check.h). A run
// that does not fit would otherwise fail at its first query too long, after the hours the units before it
// took; nothing is truncated to make it fit.
#include <vector>

#include "eval/eval_config.h"
#include "eval/eval_inputs.h"

namespace dbsa {

// Throws ContextLengthError naming the method, point and run, the numbers and the option to change.
void check_eval_fits(const EvalInputs& in, const std::vector<EvalConfig>& points);

}  // namespace dbsa
