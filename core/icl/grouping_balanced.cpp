#include <algorithm>
#include <map>

#include "icl/grouping_methods.h"

namespace dbsa {

Blocks BalancedGrouping::group(const GroupingInput& in) const {
  const auto& demos = checked_pool(in);
  const std::size_t n = demos.size();
  const std::size_t k = block_count(n, in.block_demos);
  // Class ids by sorted wording (numpy.unique's order, which StratifiedKFold uses).
  std::map<std::string, std::size_t> class_of;
  for (const auto& d : demos) class_of.emplace(d.label, 0);
  std::size_t c = 0;
  for (auto& [label, id] : class_of) id = c++;
  std::vector<std::size_t> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = class_of[demos[i].label];

  // allocation[b][c] = how many of class c land in block b: deal the class-sorted list round-robin.
  std::vector<std::size_t> y_sorted = y;
  std::sort(y_sorted.begin(), y_sorted.end());
  std::vector<std::vector<std::size_t>> allocation(k, std::vector<std::size_t>(c, 0));
  for (std::size_t t = 0; t < n; ++t) ++allocation[t % k][y_sorted[t]];

  // Each class's members in pool order go to block 0 until its quota is used, then block 1, ...
  std::vector<std::size_t> block_of(n);
  std::vector<std::size_t> next_block(c, 0), used(c, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t cls = y[i];
    while (used[cls] == allocation[next_block[cls]][cls]) {
      ++next_block[cls];
      used[cls] = 0;
    }
    block_of[i] = next_block[cls];
    ++used[cls];
  }
  Blocks blocks(k);
  for (std::size_t i = 0; i < n; ++i) blocks[block_of[i]].push_back(i);
  return blocks;
}

}  // namespace dbsa
