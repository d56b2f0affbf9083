#include "experiments/statistics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/parallel.h"
#include "core/random.h"

namespace vbiopsy::experiments {

double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(values.size() - 1, below + 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

std::map<std::string, Interval> bootstrap_metrics(const Predictions& predictions, int resamples, uint64_t seed,
                                                  unsigned threads) {
  if (resamples < 1) core::fail("bootstrap: resamples = ", resamples, ", expected >= 1");
  const auto estimate = compute_metrics(predictions);
  std::array<std::vector<size_t>, kClasses> members;
  for (size_t i = 0; i < predictions.labels.size(); ++i) members[predictions.labels[i]].push_back(i);
  std::vector<std::map<std::string, double>> draws(resamples);
  core::parallel_for(static_cast<size_t>(resamples), threads, [&](size_t b) {
    core::Rng rng(core::derive_seed(seed, {static_cast<uint64_t>(b)}));
    Predictions sample;
    for (const auto& group : members)
      for (size_t j = 0; j < group.size(); ++j) {
        const size_t i = group[rng.below(group.size())];
        sample.labels.push_back(predictions.labels[i]);
        sample.probabilities.push_back(predictions.probabilities[i]);
      }
    draws[b] = compute_metrics(sample);
  });
  std::map<std::string, Interval> out;
  for (const auto& [name, value] : estimate) {
    std::vector<double> values;
    values.reserve(resamples);
    for (const auto& d : draws) values.push_back(d.at(name));
    out[name] = {value, quantile(values, 0.025), quantile(values, 0.975)};
  }
  return out;
}

}  // namespace vbiopsy::experiments
