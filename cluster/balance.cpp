#include "cluster/balance.h"

#include <algorithm>
#include <numeric>

namespace vbiopsy::cluster {

std::vector<std::vector<std::size_t>> balance(const std::vector<double>& costs, int ranks) {
  const auto shares = static_cast<std::size_t>(std::max(ranks, 1));
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<std::vector<std::size_t>> out(shares);
  std::vector<double> load(shares, 0.0);
  for (const std::size_t item : order) {
    const auto r = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[r].push_back(item);
    load[r] += costs[item];
  }
  for (auto& share : out) std::sort(share.begin(), share.end());
  return out;
}

}  // namespace vbiopsy::cluster
