#include <algorithm>
#include <limits>

#include "icl/bm25_vectors.h"
#include "icl/constrained_kmeans.h"
#include "icl/grouping_methods.h"

namespace dbsa {

Blocks Bm25ClusterGrouping::group(const GroupingInput& in) const {
  const auto& demos = checked_pool(in);
  const std::size_t n = demos.size();
  const std::size_t k = block_count(n, in.block_demos);
  // The paper clusters the formatted demonstrations (prefixes and label included), not the bare texts.
  std::vector<std::string> docs;
  docs.reserve(n);
  for (const auto& d : demos) docs.push_back(format_demo(in.prompt, d.text, d.label));
  const Bm25Vectors vec = bm25_vectors(docs);
  ConstrainedKMeansParams p;
  p.k = k;
  p.max_size = in.block_demos;
  p.seed = in.seed;
  const auto result = constrained_kmeans(vec.docs, vec.terms.size(), p);

  // Number clusters by their first member in pool order, so the numbering does not depend on the
  // arbitrary centre order. No cluster is empty: k = ceil(n / block_demos) means n > (k - 1) block_demos,
  // more than k - 1 full clusters can hold (check_blocks verifies it).
  Blocks by_cluster(k);
  for (std::size_t i = 0; i < n; ++i) by_cluster[result.cluster[i]].push_back(i);
  std::sort(by_cluster.begin(), by_cluster.end(), [](const auto& a, const auto& b) {
    const auto fa = a.empty() ? std::numeric_limits<std::size_t>::max() : a.front();
    const auto fb = b.empty() ? std::numeric_limits<std::size_t>::max() : b.front();
    return fa < fb;
  });
  check_blocks(by_cluster, n, in.block_demos);
  return by_cluster;
}

}  // namespace dbsa
