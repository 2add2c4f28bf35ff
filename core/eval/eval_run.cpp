#include "eval/eval_run.h"

#include "eval/eval_inputs.h"
#include "eval/work_units.h"

namespace dbsa {

EvalSummary evaluate_points(const std::vector<EvalConfig>& points, const EvalCallbacks& cb) {
  EvalInputs in = prepare_eval(points);  // nothing is written before this returns
  const auto units = shard_units(all_work_units(points), points.front().shard);
  return run_evaluation(in, points, units, cb);
}

}  // namespace dbsa
