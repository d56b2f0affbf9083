#pragma once
// Comparing models on the same cases: paired DeLong tests of correlated AUCs (the fast algorithm of
// Sun & Xu 2014), Holm's step-down correction, category-free NRI and IDI, and decision curves.
#include <vector>

namespace vbiopsy::experiments {

// DeLong's structural components of one or more scores on the same cases.
struct DeLongResult {
  std::vector<double> auc;                      // per score
  std::vector<std::vector<double>> covariance;  // of the AUC estimates
};
// scores: one vector per model (same cases, same order); outcome: true = positive.
DeLongResult delong(const std::vector<std::vector<double>>& scores, const std::vector<bool>& outcome);

struct PairedTest {
  double auc_a = 0, auc_b = 0, delta = 0, z = 0, p_value = 1;
};
// Two-sided test of AUC(a) = AUC(b); p = 1 and z = 0 when the difference has no variance.
PairedTest delong_test(const std::vector<double>& a, const std::vector<double>& b, const std::vector<bool>& outcome);

// Holm-adjusted p-values, in the input order.
std::vector<double> holm(const std::vector<double>& p_values);

// Category-free net reclassification improvement and integrated discrimination improvement of a
// new score over an old one (probabilities of the same binary outcome).
struct Reclassification {
  double nri = 0, nri_events = 0, nri_nonevents = 0, idi = 0;
};
Reclassification reclassification(const std::vector<double>& old_scores, const std::vector<double>& new_scores,
                                  const std::vector<bool>& outcome);

struct DecisionPoint {
  double threshold = 0, model = 0, treat_all = 0;  // net benefits; treat none is 0
};
// Net benefit (Vickers & Elkin 2006) at each threshold probability in (0, 1).
std::vector<DecisionPoint> decision_curve(const std::vector<double>& scores, const std::vector<bool>& outcome,
                                          const std::vector<double>& thresholds);

}  // namespace vbiopsy::experiments
