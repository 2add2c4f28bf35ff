#pragma once
// The Grouping implementations (one source file each); use make_grouping() rather than these directly.
#include <memory>
#include <string>

#include "icl/grouping.h"

namespace dbsa {

// Length balancing as the paper's balance_windows_sizes intends: demonstrations sorted by token count,
// longest first (ties in pool order), are dealt in rounds of one per block; in each round the longer
// demonstrations go to the blocks with the fewest tokens so far (ties: lower block). Inside a block,
// demonstrations stay in the order they were dealt, as in the paper's code. (The paper's numpy code
// applies the argsort permutation where its inverse is meant, so with more than two blocks its deal is
// not actually lightest-first; we implement the evident intent.)
class InOrderGrouping final : public Grouping {
 public:
  std::string_view name() const override { return "in-order"; }
  Blocks group(const GroupingInput& in) const override;
};

// scikit-learn's StratifiedKFold(shuffle=False), the paper's "balanced": labels sorted by wording, the
// demonstrations sorted by label are dealt round-robin to count how many of each label every block
// gets; then each label's demonstrations, in pool order, fill the blocks in block order. Blocks list
// their members in pool order.
class BalancedGrouping final : public Grouping {
 public:
  std::string_view name() const override { return "balanced"; }
  Blocks group(const GroupingInput& in) const override;
};

// Size-constrained k-means (k = number of blocks, at most block_demos per cluster) over BM25 vectors of
// the formatted demonstrations (bm25_vectors.h). Clusters are numbered by their first member in pool
// order; members are listed in pool order.
class Bm25ClusterGrouping final : public Grouping {
 public:
  std::string_view name() const override { return "bm25-cluster"; }
  Blocks group(const GroupingInput& in) const override;
};

class SwapGrouping final : public Grouping {
 public:
  SwapGrouping(std::unique_ptr<Grouping> inner, double ratio);
  std::string_view name() const override { return name_; }
  Blocks group(const GroupingInput& in) const override;

 private:
  std::unique_ptr<Grouping> inner_;
  double ratio_;
  std::string name_;
};

}  // namespace dbsa
