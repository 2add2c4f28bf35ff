#pragma once
// The one progress/cancel convention of long core calls (model synthesis, pre-encoding, method setup,
// cache verification): called at each checkpoint with the fraction done in (0, 1]; returning false
// cancels the call there, and it leaves nothing half-written. An evaluation reports more than a
// fraction (which run, method and query; ETA) in eval/evaluator.h's EvalProgress, and is cancelled by
// its flag, because its checkpoints include waiting for another process's cache lock.
#include <functional>

namespace dbsa {

using Progress = std::function<bool(double fraction)>;

}  // namespace dbsa
