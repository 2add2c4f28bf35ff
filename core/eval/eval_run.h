#pragma once
// One `dbsa eval` / `dbsa sweep` from its configs to its summary: every input is loaded and checked
// (prepare_eval) before anything is written, then this process's shard of the work units runs. The CLI
// and the studio's Runs page both evaluate through here.
#include <vector>

#include "eval/eval_config.h"
#include "eval/evaluator.h"

namespace dbsa {

// points: one config (eval) or the points of a sweep, sharing model, dataset, database and shard.
EvalSummary evaluate_points(const std::vector<EvalConfig>& points, const EvalCallbacks& cb = {});

}  // namespace dbsa
