#pragma once
// How prediction sets did on held-out cases: the share of cases whose true class is in their set
// (coverage, overall and per true class, with Wilson score 95% intervals) and the mean set size
// (with a normal 95% interval). Sets are bit masks (bit k: class k is in the set).
#include <array>
#include <vector>

#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

// Wilson score interval for `successes` of `trials` at 95%; NaN without trials.
Interval wilson_interval(long successes, long trials);

struct SetSummary {
  long cases = 0;
  Interval coverage, mean_size;
  std::array<Interval, kClasses> class_coverage;
  std::array<double, kClasses + 1> size_share{};  // share of sets of size 0, 1, 2, 3
};
SetSummary summarise_sets(const std::vector<int>& labels, const std::vector<unsigned>& sets);

}  // namespace vbiopsy::experiments
