#pragma once
// Discrimination metrics the training loop needs for early stopping (and the experiments reuse):
// ROC AUC as the Mann-Whitney statistic, ties counted as one half, so it is exact, not a trapezoid
// approximation of a sampled curve.
#include <cstdint>
#include <vector>

namespace vbiopsy::core {

// AUC of `scores` for separating positives (labels true) from negatives. NaN if either is absent.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

// Mean over classes of the one-vs-rest AUC of the class's probability; classes absent from
// `labels` (or present in every case) are skipped. probabilities: row-major [n, classes].
double macro_auc(const std::vector<double>& probabilities, const std::vector<int64_t>& labels, int classes);

}  // namespace vbiopsy::core
