// Statistics against hand-computed values.
#include "store/summary_stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace dbsa {
namespace {

TEST(SummaryStats, MeanAndSampleStd) {
  std::vector<double> acc = {0.75, 0.5, 1.0};
  EXPECT_DOUBLE_EQ(mean_of(acc), 0.75);
  // deviations 0, −0.25, 0.25 → sum of squares 0.125, / (n − 1) = 0.0625, sqrt = 0.25
  EXPECT_DOUBLE_EQ(sample_stddev(acc), 0.25);
  std::vector<double> two = {2.0, 4.0};  // sqrt(((−1)² + 1²) / 1) = sqrt(2)
  EXPECT_DOUBLE_EQ(sample_stddev(two), 1.4142135623730951);
}

TEST(SummaryStats, OneOrNoValueHasNoSpread) {
  std::vector<double> one = {0.9};
  EXPECT_DOUBLE_EQ(mean_of(one), 0.9);
  EXPECT_EQ(sample_stddev(one), 0.0);
  EXPECT_EQ(sample_stddev({}), 0.0);
  EXPECT_EQ(mean_of({}), 0.0);
  EXPECT_EQ(percentile_linear({}, 0.5), 0.0);
}

TEST(SummaryStats, PercentileInterpolatesBetweenClosestRanks) {
  std::vector<double> v = {4, 1, 3, 2};  // sorted 1 2 3 4
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.5), 2.5);    // h = 1.5
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.95), 3.85);  // h = 2.85 → 3 + 0.85 × 1
  EXPECT_DOUBLE_EQ(percentile_linear(v, 1.0), 4.0);
  std::vector<double> odd = {5, 1, 3};                  // sorted 1 3 5
  EXPECT_DOUBLE_EQ(percentile_linear(odd, 0.5), 3.0);   // h = 1
  EXPECT_DOUBLE_EQ(percentile_linear(odd, 0.95), 4.8);  // h = 1.9 → 3 + 0.9 × 2
  std::vector<double> single = {7};
  EXPECT_DOUBLE_EQ(percentile_linear(single, 0.95), 7.0);
}

TEST(SummaryStats, PercentileMatchesNumpyOnLongerSample) {
  // numpy.percentile(range(1, 101), [50, 95, 99]) == [50.5, 95.05, 99.01]
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_NEAR(percentile_linear(v, 0.50), 50.5, 1e-12);
  EXPECT_NEAR(percentile_linear(v, 0.95), 95.05, 1e-12);
  EXPECT_NEAR(percentile_linear(v, 0.99), 99.01, 1e-12);
}

}  // namespace
}  // namespace dbsa
