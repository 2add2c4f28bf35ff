#pragma once
// The pool of one (point, run) of an evaluation: a seeded draw of blocks x block_demos demonstrations
// from the training split, grouped into blocks, shared by every method of that run. The evaluator and
// the up-front context check (eval/context_plan.h) draw it the same way.
#include <cstdint>
#include <vector>

#include "eval/eval_config.h"
#include "eval/eval_inputs.h"
#include "icl/dataset.h"
#include "icl/grouping.h"

namespace dbsa {

struct PoolDraw {
  std::vector<Example> demos;
  Blocks blocks;
};

PoolDraw draw_and_group(const EvalInputs& in, const EvalConfig& c, uint64_t seed);

}  // namespace dbsa
