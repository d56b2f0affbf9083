#pragma once
// Stratified bootstrap confidence intervals for every metric of compute_metrics: each resample draws
// every class's cases with replacement (so each class keeps its size), percentile 95% intervals.
// Resample b draws from its own stream (seed, b): the result does not depend on the thread count.
#include <cstdint>
#include <map>
#include <string>

#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

struct Interval {
  double estimate = 0, lower = 0, upper = 0;
};

std::map<std::string, Interval> bootstrap_metrics(const Predictions& predictions, int resamples, uint64_t seed,
                                                  unsigned threads = 1);

// The q-quantile (linear interpolation between order statistics, as numpy's default) of the finite
// values; NaN when there are none.
double quantile(std::vector<double> values, double q);

}  // namespace vbiopsy::experiments
