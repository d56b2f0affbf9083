#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace vbiopsy::core {

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  if (scores.size() != positive.size()) fail("roc_auc: ", scores.size(), " scores but ", positive.size(), " labels");
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' mid-ranks (ties share the mean of their ranks).
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) {
        rank_sum += mid_rank;
        ++positives;
      }
    i = j;
  }
  const size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

double macro_auc(const std::vector<double>& probabilities, const std::vector<int64_t>& labels, int classes) {
  const size_t n = labels.size();
  if (probabilities.size() != n * static_cast<size_t>(classes))
    fail("macro_auc: ", probabilities.size(), " probabilities for ", n, " cases x ", classes, " classes");
  double sum = 0;
  int counted = 0;
  for (int c = 0; c < classes; ++c) {
    std::vector<double> scores(n);
    std::vector<bool> positive(n);
    for (size_t i = 0; i < n; ++i) {
      scores[i] = probabilities[i * classes + c];
      positive[i] = labels[i] == c;
    }
    const double auc = roc_auc(scores, positive);
    if (std::isnan(auc)) continue;
    sum += auc;
    ++counted;
  }
  return counted ? sum / counted : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace vbiopsy::core
