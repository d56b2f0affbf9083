#include "experiments/statistics/comparisons.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace vbiopsy::experiments {

namespace {

// Mid-ranks (1-based; ties share the mean of their ranks).
std::vector<double> midranks(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + 1 + j);
    for (size_t k = i; k < j; ++k) ranks[order[k]] = mid;
    i = j;
  }
  return ranks;
}

double covariance(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  if (n < 2) return 0;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / (n - 1);
}

}  // namespace

DeLongResult delong(const std::vector<std::vector<double>>& scores, const std::vector<bool>& outcome) {
  std::vector<size_t> positives, negatives;
  for (size_t i = 0; i < outcome.size(); ++i) (outcome[i] ? positives : negatives).push_back(i);
  const size_t m = positives.size(), n = negatives.size();
  if (m < 2 || n < 2) core::fail("DeLong test: needs at least 2 positive and 2 negative cases, got ", m, " and ", n);
  const size_t k = scores.size();
  DeLongResult result;
  std::vector<std::vector<double>> v10(k), v01(k);
  for (size_t r = 0; r < k; ++r) {
    if (scores[r].size() != outcome.size())
      core::fail("DeLong test: model ", r, " has ", scores[r].size(), " scores for ", outcome.size(), " cases");
    std::vector<double> x, y, z;
    for (size_t i : positives) x.push_back(scores[r][i]);
    for (size_t j : negatives) y.push_back(scores[r][j]);
    z = x;
    z.insert(z.end(), y.begin(), y.end());
    const auto tx = midranks(x), ty = midranks(y), tz = midranks(z);
    double rank_sum = 0;
    for (size_t i = 0; i < m; ++i) {
      rank_sum += tz[i];
      v10[r].push_back((tz[i] - tx[i]) / static_cast<double>(n));
    }
    for (size_t j = 0; j < n; ++j) v01[r].push_back(1.0 - (tz[m + j] - ty[j]) / static_cast<double>(m));
    result.auc.push_back((rank_sum - static_cast<double>(m) * (m + 1) / 2) / (static_cast<double>(m) * n));
  }
  result.covariance.assign(k, std::vector<double>(k));
  for (size_t a = 0; a < k; ++a)
    for (size_t b = 0; b < k; ++b)
      result.covariance[a][b] =
          covariance(v10[a], v10[b]) / static_cast<double>(m) + covariance(v01[a], v01[b]) / static_cast<double>(n);
  return result;
}

PairedTest delong_test(const std::vector<double>& a, const std::vector<double>& b, const std::vector<bool>& outcome) {
  const auto r = delong({a, b}, outcome);
  PairedTest test;
  test.auc_a = r.auc[0];
  test.auc_b = r.auc[1];
  test.delta = r.auc[0] - r.auc[1];
  const double variance = r.covariance[0][0] + r.covariance[1][1] - 2 * r.covariance[0][1];
  if (variance > 1e-15) {
    test.z = test.delta / std::sqrt(variance);
    test.p_value = std::erfc(std::abs(test.z) / std::sqrt(2.0));
  }
  return test;
}

std::vector<double> holm(const std::vector<double>& p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - rank) * p_values[order[rank]]));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

Reclassification reclassification(const std::vector<double>& old_scores, const std::vector<double>& new_scores,
                                  const std::vector<bool>& outcome) {
  if (old_scores.size() != outcome.size() || new_scores.size() != outcome.size())
    core::fail("reclassification: ", old_scores.size(), " old and ", new_scores.size(), " new scores for ",
               outcome.size(), " cases");
  double events = 0, nonevents = 0, up_e = 0, down_e = 0, up_n = 0, down_n = 0, gain_e = 0, gain_n = 0;
  for (size_t i = 0; i < outcome.size(); ++i) {
    const double d = new_scores[i] - old_scores[i];
    if (outcome[i]) {
      ++events;
      up_e += d > 0;
      down_e += d < 0;
      gain_e += d;
    } else {
      ++nonevents;
      up_n += d > 0;
      down_n += d < 0;
      gain_n += d;
    }
  }
  if (events == 0 || nonevents == 0) core::fail("reclassification: needs events and non-events");
  Reclassification r;
  r.nri_events = (up_e - down_e) / events;
  r.nri_nonevents = (down_n - up_n) / nonevents;
  r.nri = r.nri_events + r.nri_nonevents;
  r.idi = gain_e / events - gain_n / nonevents;
  return r;
}

std::vector<DecisionPoint> decision_curve(const std::vector<double>& scores, const std::vector<bool>& outcome,
                                          const std::vector<double>& thresholds) {
  const double n = static_cast<double>(outcome.size());
  const double prevalence = static_cast<double>(std::count(outcome.begin(), outcome.end(), true)) / n;
  std::vector<DecisionPoint> out;
  for (double t : thresholds) {
    if (!(t > 0 && t < 1)) core::fail("decision curve: threshold ", t, " outside (0, 1)");
    const double odds = t / (1 - t);
    double tp = 0, fp = 0;
    for (size_t i = 0; i < outcome.size(); ++i)
      if (scores[i] >= t) (outcome[i] ? tp : fp) += 1;
    out.push_back({t, tp / n - fp / n * odds, prevalence - (1 - prevalence) * odds});
  }
  return out;
}

}  // namespace vbiopsy::experiments
