#include "icl/grouping.h"

#include <stdexcept>

#include "icl/grouping_methods.h"
#include "util/name_list.h"

namespace dbsa {

std::size_t block_count(std::size_t n_demos, std::size_t block_demos) {
  if (block_demos == 0) throw std::invalid_argument("block_demos must be positive");
  return (n_demos + block_demos - 1) / block_demos;
}

void check_blocks(const Blocks& blocks, std::size_t n_demos, std::size_t block_demos) {
  if (blocks.size() != block_count(n_demos, block_demos))
    throw std::logic_error("grouping made " + std::to_string(blocks.size()) + " blocks, expected " +
                           std::to_string(block_count(n_demos, block_demos)));
  std::vector<int> seen(n_demos, -1);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (blocks[b].empty() || blocks[b].size() > block_demos)
      throw std::logic_error("block " + std::to_string(b) + " has " + std::to_string(blocks[b].size()) +
                             " demonstrations, expected 1.." + std::to_string(block_demos));
    for (std::size_t i : blocks[b]) {
      if (i >= n_demos)
        throw std::logic_error("block " + std::to_string(b) + " names demo " + std::to_string(i) + " of " +
                               std::to_string(n_demos));
      if (seen[i] >= 0)
        throw std::logic_error("demo " + std::to_string(i) + " is in blocks " + std::to_string(seen[i]) +
                               " and " + std::to_string(b));
      seen[i] = static_cast<int>(b);
    }
  }
  for (std::size_t i = 0; i < n_demos; ++i)
    if (seen[i] < 0) throw std::logic_error("demo " + std::to_string(i) + " is in no block");
}

const std::vector<Example>& checked_pool(const GroupingInput& in) {
  if (!in.demos || in.demos->empty()) throw std::invalid_argument("grouping needs a non-empty pool");
  if (in.block_demos == 0) throw std::invalid_argument("block_demos must be positive");
  return *in.demos;
}

std::vector<std::string> grouping_names() {
  return {"in-order", "balanced", "bm25-cluster", "in-order-swap", "balanced-swap", "bm25-cluster-swap"};
}

std::string grouping_description(std::string_view name) {
  constexpr std::string_view kSwap = "-swap";
  if (name.size() > kSwap.size() && name.substr(name.size() - kSwap.size()) == kSwap)
    return grouping_description(name.substr(0, name.size() - kSwap.size())) +
           " Then 10% of each block's demonstrations are swapped with other blocks'.";
  if (name == "in-order")
    return "Demonstrations sorted longest first and dealt, a round at a time, to the blocks with the "
           "fewest tokens so far: blocks of similar token length (block 0 is not the pool's first "
           "demonstrations).";
  if (name == "balanced") return "Each block gets a similar mix of labels (stratified by label).";
  if (name == "bm25-cluster")
    return "Similar demonstrations share a block: size-constrained k-means over their BM25 term vectors.";
  make_grouping(name);  // throws, naming the valid groupings
  return {};
}

std::unique_ptr<Grouping> make_grouping(std::string_view name) {
  constexpr std::string_view kSwap = "-swap";
  if (name.size() > kSwap.size() && name.substr(name.size() - kSwap.size()) == kSwap)
    return with_swap(make_grouping(name.substr(0, name.size() - kSwap.size())));
  if (name == "in-order") return std::make_unique<InOrderGrouping>();
  if (name == "balanced") return std::make_unique<BalancedGrouping>();
  if (name == "bm25-cluster") return std::make_unique<Bm25ClusterGrouping>();
  throw std::invalid_argument("unknown grouping '" + std::string(name) +
                              "' (known: " + name_list(grouping_names()) + ")");
}

}  // namespace dbsa
