#pragma once
// Sharing independent items of known cost among the ranks of a job.
#include <cstddef>
#include <vector>

namespace vbiopsy::cluster {

// The items' indices shared among `ranks` so that the largest share costs little: the costliest item
// first, each to the rank whose share costs least so far (the lowest rank on ties), which keeps the
// largest share within 4/3 of the best possible. Deterministic; each share lists its items in
// increasing order.
std::vector<std::vector<std::size_t>> balance(const std::vector<double>& costs, int ranks);

}  // namespace vbiopsy::cluster
