#include "store/summary_stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dbsa {

double mean_of(std::span<const double> values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double sample_stddev(std::span<const double> values) {
  if (values.size() < 2) return 0;
  double m = mean_of(values);
  double ss = 0;
  for (double v : values) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(values.size() - 1));
}

double percentile_linear(std::span<const double> values, double p) {
  if (values.empty()) return 0;
  std::vector<double> x(values.begin(), values.end());
  std::sort(x.begin(), x.end());
  double h = static_cast<double>(x.size() - 1) * std::clamp(p, 0.0, 1.0);
  auto lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (h - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

}  // namespace dbsa
