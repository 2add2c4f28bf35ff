#pragma once
// Grouping a pool into blocks of at most block_demos demonstrations (docs/METHOD.md "Blocks"). Block 0 is the
// sink. Every method is deterministic for a given seed. Implementations (one file each):
//   in-order      pool order, balanced across blocks by token length (the paper's default grouping)
//   balanced      stratified by label so every block has a similar label mix
//   bm25-cluster  size-constrained k-means over BM25 term vectors of the formatted demonstrations
//   <method>-swap any of the above, then 10% of each block's members swapped with other blocks
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "icl/dataset.h"
#include "icl/template.h"

namespace dbsa {

// blocks[b] = indices into the pool of the demonstrations of block b, in their order inside the block.
using Blocks = std::vector<std::vector<std::size_t>>;

struct GroupingInput {
  const std::vector<Example>* demos = nullptr;  // the pool, in pool order
  PromptTemplate prompt;         // demonstrations are formatted with it (bm25-cluster, in-order)
  std::size_t block_demos = 50;  // the paper's block size
  std::uint64_t seed = 0;
  // Tokens of a formatted demonstration (in-order needs it; a tokenizer's encode().size() in practice).
  std::function<std::size_t(const std::string&)> token_count;
};

class Grouping {
 public:
  virtual ~Grouping() = default;
  virtual std::string_view name() const = 0;
  // ceil(n / block_demos) blocks; each demonstration in exactly one block; no block empty or larger
  // than block_demos. Throws std::invalid_argument for an empty pool or block_demos == 0.
  virtual Blocks group(const GroupingInput& in) const = 0;
};

// "in-order", "balanced", "bm25-cluster", optionally with "-swap"; throws std::invalid_argument naming
// the known methods otherwise.
std::unique_ptr<Grouping> make_grouping(std::string_view name);
std::vector<std::string> grouping_names();
// What a grouping does, in one sentence (the studio's tooltips); throws like make_grouping.
std::string grouping_description(std::string_view name);

// Wraps `inner`: after it, every block swaps floor(ratio x size) members with members of other blocks.
std::unique_ptr<Grouping> with_swap(std::unique_ptr<Grouping> inner, double ratio = 0.1);

std::size_t block_count(std::size_t n_demos, std::size_t block_demos);
// Throws std::logic_error (naming the block and demo) unless `blocks` is a valid grouping of n demos.
void check_blocks(const Blocks& blocks, std::size_t n_demos, std::size_t block_demos);
// Checks the input every method needs; returns the pool.
const std::vector<Example>& checked_pool(const GroupingInput& in);

}  // namespace dbsa
