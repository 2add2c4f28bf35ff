#pragma once
// The work of an evaluation as units (sweep point × run × method), and the stable split of those units
// over n shards that a cluster scheduler runs in parallel (`--shard i/n`, e.g. a Slurm job array).
#include <cstdint>
#include <vector>

#include "eval/eval_config.h"

namespace dbsa {

struct WorkUnit {
  int32_t point = 0;    // index of the sweep point (0 for a plain eval)
  int32_t run = 0;      // pool seed = base seed + run
  int32_t method = 0;   // index into the point's method list
  int64_t ordinal = 0;  // position in the full enumeration (independent of the shard)
  friend bool operator==(const WorkUnit&, const WorkUnit&) = default;
};

// Every unit of `points` in a fixed order (point, then run, then method), then the ones of `shard`:
// unit k belongs to shard k mod n. The split depends only on the command's options, so every shard
// process computes the same enumeration and together they cover each unit exactly once.
std::vector<WorkUnit> all_work_units(const std::vector<EvalConfig>& points);
std::vector<WorkUnit> shard_units(const std::vector<WorkUnit>& all, const ShardSpec& shard);

}  // namespace dbsa
