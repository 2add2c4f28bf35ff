// The paper's "-swap" variants: after grouping, each block in turn exchanges floor(ratio x its size)
// randomly chosen members with as many randomly chosen members of all other blocks (block sizes are
// unchanged). Draws use SeededRng(seed + golden-ratio constant) so they are independent of the inner
// method's draws from the same seed.
#include <algorithm>
#include <stdexcept>

#include "icl/grouping_methods.h"
#include "icl/seeded_rng.h"

namespace dbsa {

SwapGrouping::SwapGrouping(std::unique_ptr<Grouping> inner, double ratio)
    : inner_(std::move(inner)), ratio_(ratio), name_(std::string(inner_->name()) + "-swap") {
  if (!(ratio_ >= 0.0 && ratio_ <= 1.0)) throw std::invalid_argument("swap ratio must be in [0, 1]");
}

Blocks SwapGrouping::group(const GroupingInput& in) const {
  Blocks blocks = inner_->group(in);
  const std::size_t n = checked_pool(in).size();
  std::vector<std::size_t> block_of(n);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    for (std::size_t i : blocks[b]) block_of[i] = b;

  SeededRng rng(in.seed + 0x9E3779B97F4A7C15ull);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    std::vector<std::size_t> mine, others;
    for (std::size_t i = 0; i < n; ++i) (block_of[i] == b ? mine : others).push_back(i);
    std::size_t count = static_cast<std::size_t>(static_cast<double>(mine.size()) * ratio_);
    count = std::min(count, others.size());
    if (count == 0) continue;
    rng.partial_shuffle(mine, count);
    rng.partial_shuffle(others, count);
    for (std::size_t t = 0; t < count; ++t) std::swap(block_of[mine[t]], block_of[others[t]]);
  }
  // Members keep the order they had inside the inner grouping's blocks where they stayed; moved ones
  // are listed in pool order after them.
  Blocks out(blocks.size());
  std::vector<char> placed(n, 0);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    for (std::size_t i : blocks[b])
      if (block_of[i] == b) {
        out[b].push_back(i);
        placed[i] = 1;
      }
  for (std::size_t i = 0; i < n; ++i)
    if (!placed[i]) out[block_of[i]].push_back(i);
  check_blocks(out, n, in.block_demos);
  return out;
}

std::unique_ptr<Grouping> with_swap(std::unique_ptr<Grouping> inner, double ratio) {
  return std::make_unique<SwapGrouping>(std::move(inner), ratio);
}

}  // namespace dbsa
