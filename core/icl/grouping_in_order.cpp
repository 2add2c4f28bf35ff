#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "icl/grouping_methods.h"

namespace dbsa {

Blocks InOrderGrouping::group(const GroupingInput& in) const {
  const auto& demos = checked_pool(in);
  if (!in.token_count) throw std::invalid_argument("in-order grouping needs a token_count callback");
  const std::size_t n = demos.size();
  const std::size_t k = block_count(n, in.block_demos);
  std::vector<std::size_t> len(n);
  for (std::size_t i = 0; i < n; ++i)
    len[i] = in.token_count(format_demo(in.prompt, demos[i].text, demos[i].label));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return len[a] > len[b]; });

  Blocks blocks(k);
  std::vector<std::size_t> sum(k, 0);
  std::vector<std::size_t> by_sum(k);
  for (std::size_t start = 0; start < n; start += k) {
    // Blocks ordered by their token total before this round; the round's items are longest first.
    std::iota(by_sum.begin(), by_sum.end(), std::size_t{0});
    std::stable_sort(by_sum.begin(), by_sum.end(),
                     [&](std::size_t a, std::size_t b) { return sum[a] < sum[b]; });
    const std::size_t end = std::min(n, start + k);
    for (std::size_t r = start; r < end; ++r) {
      const std::size_t b = by_sum[r - start];
      blocks[b].push_back(order[r]);
      sum[b] += len[order[r]];
    }
  }
  return blocks;
}

}  // namespace dbsa
