#pragma once
// Size-constrained k-means over sparse vectors (what the paper gets from k_means_constrained's
// KMeansConstrained(n_clusters=k, size_max=m)). Ours is a seeded heuristic, not the min-cost-flow of
// that package:
//   init    k-means++ (first centre uniform, then each next point with probability ~ squared distance
//           to its nearest centre), drawn with SeededRng so runs are reproducible;
//   assign  all (point, centre) pairs by squared distance ascending (ties: point, then centre); each
//           point takes the first centre that still has room — near points claim their centre first;
//           then local search: moves into clusters with room and pairwise trades that lower the cost;
//   update  centres = member means (an empty cluster keeps its centre);
//   repeat  until the assignment is stable, the cost falls by less than tol, or max_iter;
//           best of n_init runs by inertia.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/bm25_vectors.h"

namespace dbsa {

struct ConstrainedKMeansParams {
  std::size_t k = 1;
  std::size_t max_size = 1;  // k * max_size must be >= the number of points
  std::uint64_t seed = 0;
  int n_init = 10;     // KMeansConstrained's default
  int max_iter = 300;  // likewise
  double tol = 1e-4;   // stop when the cost falls by less than this fraction in an iteration
};

struct ConstrainedKMeansResult {
  std::vector<std::size_t> cluster;  // per point
  double inertia = 0.0;              // sum of squared distances to the assigned centres
  int iterations = 0;                // of the best run
};

ConstrainedKMeansResult constrained_kmeans(const std::vector<SparseVector>& points, std::size_t dim,
                                           const ConstrainedKMeansParams& params);

}  // namespace dbsa
