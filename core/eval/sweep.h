#pragma once
// Ablation sweeps (`dbsa sweep --vary sink=0,1,2 --vary prev=0,1,2,4 ...`): the cartesian product of
// the varied knobs, each point a full evaluation config written into the same results database.
#include <string>
#include <string_view>
#include <vector>

#include "eval/eval_config.h"

namespace dbsa {

// One --vary: a knob (sink, prev, select, grouping, order, block-demos, blocks) and its values.
struct SweepAxis {
  std::string knob;
  std::vector<std::string> values;
};

// "knob=v1,v2,..."; throws std::invalid_argument naming the known knobs, or an empty/duplicate value.
SweepAxis parse_vary(std::string_view text);
std::vector<std::string> sweep_knobs();

// Sets one knob of `c` from its text value; throws std::invalid_argument for a bad value.
void set_knob(EvalConfig& c, std::string_view knob, std::string_view value);

// The cartesian product, first axis outermost; each point is `base` with the axes' values set. Throws
// when a knob is varied twice. No axes: just `base`.
std::vector<EvalConfig> expand_sweep(const EvalConfig& base, const std::vector<SweepAxis>& axes);

}  // namespace dbsa
