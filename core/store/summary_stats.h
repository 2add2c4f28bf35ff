#pragma once
// The descriptive statistics of reports and run aggregates, with their definitions stated once here.
#include <span>

namespace dbsa {

double mean_of(std::span<const double> values);  // 0 for no values

// Sample standard deviation (divisor n − 1), the spread of accuracy over runs with different pool
// seeds. One value (or none) gives 0: a single run has no measured spread.
double sample_stddev(std::span<const double> values);

// Percentile p in [0, 1] by linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's
// default, Excel PERCENTILE.INC): sorted x, h = (n − 1)·p, result x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
// 0 for no values.
double percentile_linear(std::span<const double> values, double p);

}  // namespace dbsa
