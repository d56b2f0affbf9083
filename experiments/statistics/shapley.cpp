#include "experiments/statistics/shapley.h"

#include <bit>

#include "core/error.h"

namespace vbiopsy::experiments {

std::vector<double> shapley_values(int modalities, const std::map<unsigned, double>& value, double empty_value) {
  if (modalities < 1 || modalities > 16) core::fail("Shapley values: ", modalities, " modalities, expected 1 to 16");
  const unsigned subsets = 1u << modalities;
  auto v = [&](unsigned subset) {
    if (subset == 0) return empty_value;
    const auto it = value.find(subset);
    if (it == value.end())
      core::fail("Shapley values: the ablation grid lacks the modality subset with bitmask ", subset);
    return it->second;
  };
  std::vector<double> factorial(modalities + 1, 1.0);
  for (int i = 1; i <= modalities; ++i) factorial[i] = factorial[i - 1] * i;
  std::vector<double> phi(modalities, 0.0);
  for (int i = 0; i < modalities; ++i)
    for (unsigned subset = 0; subset < subsets; ++subset) {
      if (subset & (1u << i)) continue;
      const int size = std::popcount(subset);
      const double weight = factorial[size] * factorial[modalities - size - 1] / factorial[modalities];
      phi[i] += weight * (v(subset | (1u << i)) - v(subset));
    }
  return phi;
}

}  // namespace vbiopsy::experiments
