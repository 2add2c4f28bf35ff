#include "icl/constrained_kmeans.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "icl/seeded_rng.h"

namespace dbsa {
namespace {

double uniform01(SeededRng& rng) {
  return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
}

struct Centres {
  std::size_t dim;
  std::vector<double> v;  // k x dim
  std::vector<double> norm2;
  double* row(std::size_t c) { return v.data() + c * dim; }
  const double* row(std::size_t c) const { return v.data() + c * dim; }
};

double dot(const SparseVector& x, const double* c) {
  double s = 0;
  for (std::size_t j = 0; j < x.index.size(); ++j) s += x.value[j] * c[x.index[j]];
  return s;
}

double sq_dist(const SparseVector& x, double x_norm2, const Centres& cs, std::size_t c) {
  return std::max(0.0, x_norm2 - 2.0 * dot(x, cs.row(c)) + cs.norm2[c]);
}

void set_norms(Centres& cs, std::size_t k) {
  cs.norm2.assign(k, 0.0);
  for (std::size_t c = 0; c < k; ++c) {
    const double* r = cs.row(c);
    for (std::size_t j = 0; j < cs.dim; ++j) cs.norm2[c] += r[j] * r[j];
  }
}

void load_point(Centres& cs, std::size_t c, const SparseVector& x) {
  double* r = cs.row(c);
  std::fill(r, r + cs.dim, 0.0);
  for (std::size_t j = 0; j < x.index.size(); ++j) r[x.index[j]] = x.value[j];
}

Centres kmeans_pp(const std::vector<SparseVector>& pts, const std::vector<double>& pn2, std::size_t dim,
                  std::size_t k, SeededRng& rng) {
  const std::size_t n = pts.size();
  Centres cs{dim, std::vector<double>(k * dim, 0.0), {}};
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  std::size_t pick = static_cast<std::size_t>(rng.below(n));
  for (std::size_t c = 0; c < k; ++c) {
    load_point(cs, c, pts[pick]);
    set_norms(cs, c + 1);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      nearest[i] = std::min(nearest[i], sq_dist(pts[i], pn2[i], cs, c));
      total += nearest[i];
    }
    if (c + 1 == k) break;
    if (total <= 0) {
      pick = static_cast<std::size_t>(rng.below(n));  // every point sits on a centre already
      continue;
    }
    const double target = uniform01(rng) * total;
    double acc = 0;
    pick = n - 1;
    for (std::size_t i = 0; i < n; ++i) {
      acc += nearest[i];
      if (acc > target && nearest[i] > 0) {
        pick = i;
        break;
      }
    }
  }
  return cs;
}

// Greedy capacity-respecting assignment, then local search: a point moves to a closer cluster that has
// room, or two points of clusters A and B trade places when that lowers the total distance (per pass,
// the best trade per cluster pair). Greedy alone can strand a point far from its centre when its
// nearest cluster filled up early; the trades undo most of that.
double assign(const std::vector<SparseVector>& pts, const std::vector<double>& pn2, const Centres& cs,
              std::size_t k, std::size_t max_size, std::vector<std::size_t>& cluster) {
  const std::size_t n = pts.size();
  std::vector<double> dist(n * k);
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
  pairs.reserve(n * k);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < k; ++c) {
      dist[i * k + c] = sq_dist(pts[i], pn2[i], cs, c);
      pairs.emplace_back(dist[i * k + c], i, c);
    }
  std::sort(pairs.begin(), pairs.end());
  std::vector<std::size_t> fill(k, 0);
  std::vector<char> done(n, 0);
  std::size_t placed = 0;
  for (const auto& [d, i, c] : pairs) {
    if (done[i] || fill[c] == max_size) continue;
    done[i] = 1;
    cluster[i] = c;
    ++fill[c];
    if (++placed == n) break;
  }

  constexpr double kMinGain = 1e-12;
  constexpr int kMaxPasses = 50;  // each pass is O(n k); later passes gain little
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::vector<double> best_gain(k * k);
  std::vector<std::size_t> best_point(k * k);
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    bool changed = false;
    std::fill(best_gain.begin(), best_gain.end(), 0.0);
    std::fill(best_point.begin(), best_point.end(), kNone);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t a = cluster[i];
      for (std::size_t c = 0; c < k; ++c) {
        if (c == a) continue;
        const double gain = dist[i * k + a] - dist[i * k + c];
        if (gain > kMinGain && fill[c] < max_size) {  // a free seat nearer: take it
          --fill[a];
          ++fill[c];
          cluster[i] = c;
          a = c;
          changed = true;
          continue;
        }
        if (best_point[a * k + c] == kNone || gain > best_gain[a * k + c]) {
          best_gain[a * k + c] = gain;
          best_point[a * k + c] = i;
        }
      }
    }
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = a + 1; b < k; ++b) {
        const std::size_t i = best_point[a * k + b], j = best_point[b * k + a];
        if (i == kNone || j == kNone || cluster[i] != a || cluster[j] != b) continue;
        if (best_gain[a * k + b] + best_gain[b * k + a] > kMinGain) {
          cluster[i] = b;
          cluster[j] = a;
          changed = true;
        }
      }
    if (!changed) break;
  }
  double inertia = 0;
  for (std::size_t i = 0; i < n; ++i) inertia += dist[i * k + cluster[i]];
  return inertia;
}

void update(const std::vector<SparseVector>& pts, const std::vector<std::size_t>& cluster, Centres& cs,
            std::size_t k) {
  std::vector<double> sum(k * cs.dim, 0.0);
  std::vector<std::size_t> count(k, 0);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    double* r = sum.data() + cluster[i] * cs.dim;
    for (std::size_t j = 0; j < pts[i].index.size(); ++j) r[pts[i].index[j]] += pts[i].value[j];
    ++count[cluster[i]];
  }
  for (std::size_t c = 0; c < k; ++c) {
    if (!count[c]) continue;
    double* r = cs.row(c);
    const double* s = sum.data() + c * cs.dim;
    for (std::size_t j = 0; j < cs.dim; ++j) r[j] = s[j] / static_cast<double>(count[c]);
  }
  set_norms(cs, k);
}

}  // namespace

ConstrainedKMeansResult constrained_kmeans(const std::vector<SparseVector>& points, std::size_t dim,
                                           const ConstrainedKMeansParams& params) {
  const std::size_t n = points.size();
  const std::size_t k = params.k;
  if (n == 0 || k == 0 || k > n)
    throw std::invalid_argument("constrained_kmeans: need 1 <= k <= number of points");
  if (params.max_size == 0 || k * params.max_size < n)
    throw std::invalid_argument("constrained_kmeans: k * max_size (" + std::to_string(k * params.max_size) +
                                ") is smaller than the number of points (" + std::to_string(n) + ")");
  std::vector<double> pn2(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (double v : points[i].value) pn2[i] += v * v;

  SeededRng rng(params.seed);
  ConstrainedKMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int run = 0; run < std::max(1, params.n_init); ++run) {
    Centres cs = kmeans_pp(points, pn2, dim, k, rng);
    std::vector<std::size_t> cluster(n, 0), previous;
    double inertia = 0;
    int it = 0;
    double last = std::numeric_limits<double>::infinity();
    for (; it < std::max(1, params.max_iter); ++it) {
      inertia = assign(points, pn2, cs, k, params.max_size, cluster);
      // The heuristic assignment can trade points back and forth without real progress; stop when the
      // cost no longer falls by a relative tol.
      if (cluster == previous || (it > 0 && last - inertia <= params.tol * last)) break;
      last = inertia;
      previous = cluster;
      update(points, cluster, cs, k);
    }
    if (inertia < best.inertia) best = {cluster, inertia, it + 1};
  }
  return best;
}

}  // namespace dbsa
