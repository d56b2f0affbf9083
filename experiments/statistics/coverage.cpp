#include "experiments/statistics/coverage.h"

#include <cmath>

#include "core/error.h"

namespace vbiopsy::experiments {

Interval wilson_interval(long successes, long trials) {
  if (trials <= 0) return {NAN, NAN, NAN};
  const double z = 1.959963984540054, n = static_cast<double>(trials), p = static_cast<double>(successes) / n;
  const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

SetSummary summarise_sets(const std::vector<int>& labels, const std::vector<unsigned>& sets) {
  if (labels.size() != sets.size())
    core::fail("prediction sets: ", sets.size(), " sets for ", labels.size(), " labels");
  SetSummary out;
  out.cases = static_cast<long>(labels.size());
  long covered = 0;
  std::array<long, kClasses> class_cases{}, class_covered{};
  double sum = 0, sum_squares = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool in = (sets[i] >> labels[i]) & 1u;
    covered += in;
    ++class_cases[labels[i]];
    class_covered[labels[i]] += in;
    const int size = __builtin_popcount(sets[i] & 7u);
    sum += size;
    sum_squares += size * size;
    out.size_share[size] += 1;
  }
  out.coverage = wilson_interval(covered, out.cases);
  for (int k = 0; k < kClasses; ++k) out.class_coverage[k] = wilson_interval(class_covered[k], class_cases[k]);
  const double n = static_cast<double>(out.cases);
  if (n > 0) {
    const double mean = sum / n, variance = n > 1 ? (sum_squares - n * mean * mean) / (n - 1) : 0;
    const double half = 1.959963984540054 * std::sqrt(std::max(variance, 0.0) / n);
    out.mean_size = {mean, mean - half, mean + half};
    for (auto& share : out.size_share) share /= n;
  } else {
    out.mean_size = {NAN, NAN, NAN};
  }
  return out;
}

}  // namespace vbiopsy::experiments
