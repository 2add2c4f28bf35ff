#include "eval/work_units.h"

namespace dbsa {

std::vector<WorkUnit> all_work_units(const std::vector<EvalConfig>& points) {
  std::vector<WorkUnit> units;
  int64_t k = 0;
  for (size_t p = 0; p < points.size(); ++p)
    for (int32_t r = 0; r < points[p].runs; ++r)
      for (size_t m = 0; m < points[p].methods.size(); ++m)
        units.push_back({static_cast<int32_t>(p), r, static_cast<int32_t>(m), k++});
  return units;
}

std::vector<WorkUnit> shard_units(const std::vector<WorkUnit>& all, const ShardSpec& shard) {
  std::vector<WorkUnit> mine;
  for (const auto& u : all)
    if (u.ordinal % shard.count == shard.index) mine.push_back(u);
  return mine;
}

}  // namespace dbsa
