#include "experiments/statistics/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/random.h"
#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/comparisons.h"
#include "experiments/statistics/shapley.h"
#include "experiments/run_metrics.h"

namespace vbiopsy::experiments {
namespace {

// Six cases worked by hand.
Predictions six_cases() {
  return {{0, 0, 1, 1, 2, 2},
          {{{0.7, 0.2, 0.1}},
           {{0.4, 0.4, 0.2}},
           {{0.3, 0.5, 0.2}},
           {{0.5, 0.3, 0.2}},
           {{0.1, 0.2, 0.7}},
           {{0.2, 0.2, 0.6}}}};
}

TEST(Metrics, MatchAHandWorkedSixCaseExample) {
  const auto m = compute_metrics(six_cases());
  // Predicted classes: 0, 0 (tie 0.4/0.4 goes to the lower class), 1, 0, 2, 2.
  const auto cm = confusion_matrix(six_cases());
  EXPECT_EQ(cm[0][0], 2);
  EXPECT_EQ(cm[1][0], 1);
  EXPECT_EQ(cm[1][1], 1);
  EXPECT_EQ(cm[2][2], 2);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.at("balanced_accuracy"), (1.0 + 0.5 + 1.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.at("sensitivity_low"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("specificity_zero"), 3.0 / 4.0);  // case 3 is called zero
  EXPECT_DOUBLE_EQ(m.at("ppv_zero"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.at("npv_low"), 4.0 / 5.0);
  // Zero vs rest: positives {0.7, 0.4}, negatives {0.3, 0.5, 0.1, 0.2}: 0.7 beats 4, 0.4 beats 3 -> 7/8.
  EXPECT_DOUBLE_EQ(m.at("auc_zero"), 7.0 / 8.0);
  // Low vs rest: positives {0.5, 0.3}, negatives {0.2, 0.4, 0.2, 0.2}: 0.5 beats 4, 0.3 beats 3 -> 7/8.
  EXPECT_DOUBLE_EQ(m.at("auc_low"), 7.0 / 8.0);
  // Positive vs rest: positives {0.7, 0.6}, negatives {0.1, 0.2, 0.2, 0.2}: 1.
  EXPECT_DOUBLE_EQ(m.at("auc_positive"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("macro_auc"), (7.0 / 8 + 7.0 / 8 + 1) / 3);
  // Brier: sum over cases of the squared distance to the one-hot truth, divided by 6.
  const double brier = (0.09 + 0.04 + 0.01) + (0.36 + 0.16 + 0.04) + (0.09 + 0.25 + 0.04) + (0.25 + 0.49 + 0.04) +
                       (0.01 + 0.04 + 0.09) + (0.04 + 0.04 + 0.16);
  EXPECT_NEAR(m.at("brier"), brier / 6, 1e-12);
  EXPECT_TRUE(std::isfinite(m.at("micro_auc")));
}

TEST(Metrics, RefuseRowsThatAreNotDistributions) {
  auto p = six_cases();
  p.probabilities[2] = {{0.5, 0.5, 0.5}};
  EXPECT_THROW(compute_metrics(p), core::Error);
  p = six_cases();
  p.labels[0] = 3;
  EXPECT_THROW(compute_metrics(p), core::Error);
}

TEST(Calibration, PerfectlyCalibratedBinsHaveZeroError) {
  // 10 cases at confidence 0.8 of which 8 right; 10 at 0.6 of which 6 right.
  Predictions p;
  for (int i = 0; i < 10; ++i) {
    p.labels.push_back(i < 8 ? 0 : 1);
    p.probabilities.push_back({{0.8, 0.1, 0.1}});
  }
  for (int i = 0; i < 10; ++i) {
    p.labels.push_back(i < 6 ? 2 : 0);
    p.probabilities.push_back({{0.2, 0.2, 0.6}});
  }
  EXPECT_NEAR(expected_calibration_error(p), 0.0, 1e-12);
  p.labels[0] = 1;  // now 7 of 10 at 0.8: error 0.1 on half the cases
  EXPECT_NEAR(expected_calibration_error(p), 0.05, 1e-12);
}

// DeLong's 1988 definitions computed directly over all positive-negative pairs: the independent
// reference for the fast mid-rank algorithm.
DeLongResult delong_by_definition(const std::vector<std::vector<double>>& scores, const std::vector<bool>& outcome) {
  std::vector<size_t> pos, neg;
  for (size_t i = 0; i < outcome.size(); ++i) (outcome[i] ? pos : neg).push_back(i);
  const double m = static_cast<double>(pos.size()), n = static_cast<double>(neg.size());
  auto psi = [](double x, double y) { return x > y ? 1.0 : x == y ? 0.5 : 0.0; };
  const size_t k = scores.size();
  std::vector<std::vector<double>> v10(k), v01(k);
  DeLongResult r;
  for (size_t a = 0; a < k; ++a) {
    double total = 0;
    for (size_t i : pos) {
      double s = 0;
      for (size_t j : neg) s += psi(scores[a][i], scores[a][j]);
      v10[a].push_back(s / n);
      total += s;
    }
    for (size_t j : neg) {
      double s = 0;
      for (size_t i : pos) s += psi(scores[a][i], scores[a][j]);
      v01[a].push_back(s / m);
    }
    r.auc.push_back(total / (m * n));
  }
  r.covariance.assign(k, std::vector<double>(k));
  for (size_t a = 0; a < k; ++a)
    for (size_t b = 0; b < k; ++b) {
      double s10 = 0, s01 = 0;
      for (size_t i = 0; i < pos.size(); ++i) s10 += (v10[a][i] - r.auc[a]) * (v10[b][i] - r.auc[b]);
      for (size_t j = 0; j < neg.size(); ++j) s01 += (v01[a][j] - r.auc[a]) * (v01[b][j] - r.auc[b]);
      r.covariance[a][b] = s10 / (m - 1) / m + s01 / (n - 1) / n;
    }
  return r;
}

TEST(DeLong, FastAlgorithmEqualsTheDefinitionWithTies) {
  for (uint64_t seed : {1, 2, 3}) {
    core::Rng rng(seed);
    std::vector<bool> outcome;
    std::vector<double> a, b, c;
    for (int i = 0; i < 60; ++i) {
      const bool y = rng.bernoulli(0.4);
      outcome.push_back(y);
      a.push_back(std::round((rng.normal() + (y ? 1.0 : 0.0)) * 2) / 2);  // coarse: many ties
      b.push_back(rng.normal() + (y ? 0.5 : 0.0));
      c.push_back(std::floor(rng.uniform() * 3));
    }
    const auto fast = delong({a, b, c}, outcome), reference = delong_by_definition({a, b, c}, outcome);
    for (size_t r = 0; r < 3; ++r) {
      EXPECT_NEAR(fast.auc[r], reference.auc[r], 1e-12) << seed;
      for (size_t s = 0; s < 3; ++s) EXPECT_NEAR(fast.covariance[r][s], reference.covariance[r][s], 1e-12) << seed;
    }
  }
}

TEST(DeLong, HandWorkedPairedExample) {
  // Positives score (0.9, 0.6) under A and (0.8, 0.4) under B; negatives (0.5, 0.1) and (0.5, 0.3).
  // A separates perfectly (AUC 1, no variance); B: 0.8 beats both, 0.4 beats 0.3 only -> 3/4.
  // V10_B = (1, 1/2), V01_B = (1/2, 1): S10 = 1/8, S01 = 1/8, var(B) = 1/16 + 1/16 = 1/8, cov = 0.
  const std::vector<bool> y{true, true, false, false};
  const auto t = delong_test({0.9, 0.6, 0.5, 0.1}, {0.8, 0.4, 0.5, 0.3}, y);
  EXPECT_DOUBLE_EQ(t.auc_a, 1.0);
  EXPECT_DOUBLE_EQ(t.auc_b, 0.75);
  EXPECT_NEAR(t.z, 0.25 / std::sqrt(0.125), 1e-12);
  EXPECT_NEAR(t.p_value, std::erfc(0.25 / std::sqrt(0.125) / std::sqrt(2.0)), 1e-12);
  const auto same = delong_test({0.9, 0.6, 0.5, 0.1}, {0.9, 0.6, 0.5, 0.1}, y);
  EXPECT_EQ(same.p_value, 1.0);
}

TEST(Holm, AdjustsInStepDownOrderAndStaysMonotone) {
  // Sorted p: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> 0.06).
  const auto adjusted = holm({0.03, 0.01, 0.04, 0.02});
  EXPECT_NEAR(adjusted[1], 0.04, 1e-15);
  EXPECT_NEAR(adjusted[3], 0.06, 1e-15);
  EXPECT_NEAR(adjusted[0], 0.06, 1e-15);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-15);
  EXPECT_EQ(holm({0.5, 0.9})[1], 1.0);
}

// Holm runs over the family the config names, within one endpoint: four models give 3 tests per
// endpoint against the reference, or 6 for all pairs; each p_holm equals holm() over exactly those.
TEST(Comparisons, HolmRunsOverTheNamedFamilyWithinEachEndpoint) {
  for (uint64_t seed : {1, 2, 3}) {
    core::Rng rng(seed);
    std::vector<Cell> cells;
    std::map<std::string, Predictions> pooled;
    for (const char* name : {"a", "b", "c", "ref"}) {
      cells.push_back({"early", {"mri"}, {"radiomics_mlp"}, name});
      Predictions p;
      for (int i = 0; i < 90; ++i) {
        p.labels.push_back(i % 3);
        std::array<double, kClasses> row{};
        double sum = 0;
        for (int k = 0; k < kClasses; ++k) sum += row[k] = std::exp((k == i % 3 ? 0.8 : 0.0) + rng.normal());
        for (auto& v : row) v /= sum;
        p.probabilities.push_back(row);
      }
      pooled[name] = p;
    }
    for (const std::string family : {"reference", "all_pairs"}) {
      const auto table = core::parse_csv(comparisons_table(cells, pooled, "ref", family), "comparisons.csv");
      const size_t per_endpoint = family == "reference" ? 3 : 6;
      ASSERT_EQ(table.rows.size(), per_endpoint * kClasses);
      std::map<std::string, std::vector<size_t>> rows;
      for (size_t r = 0; r < table.rows.size(); ++r) rows[table.rows[r][2]].push_back(r);
      ASSERT_EQ(rows.size(), size_t(kClasses));
      for (const auto& [endpoint, indices] : rows) {
        ASSERT_EQ(indices.size(), per_endpoint);
        std::vector<double> p;
        for (size_t r : indices) p.push_back(*core::parse_double(table.rows[r][7]));
        const auto adjusted = holm(p);
        for (size_t k = 0; k < indices.size(); ++k) {
          EXPECT_NEAR(*core::parse_double(table.rows[indices[k]][8]), adjusted[k], 1e-12);
          EXPECT_NE(table.rows[indices[k]][9].find(endpoint + " (" + std::to_string(per_endpoint) + " tests)"),
                    std::string::npos);
        }
      }
      if (family == "reference") {
        for (const auto& row : table.rows) EXPECT_EQ(row[1], "ref");
      }
    }
  }
}

TEST(Reclassification, CountsMovesAndMeanGainsByHand) {
  // Events: new - old = +0.2, -0.1, +0.1 -> up 2, down 1; non-events: -0.2, +0.1 -> down 1, up 1.
  const auto r =
      reclassification({0.5, 0.5, 0.5, 0.5, 0.5}, {0.7, 0.4, 0.6, 0.3, 0.6}, {true, true, true, false, false});
  EXPECT_NEAR(r.nri_events, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.nri_nonevents, 0.0, 1e-12);
  EXPECT_NEAR(r.idi, 0.2 / 3.0 - (-0.1 / 2.0), 1e-12);
}

TEST(DecisionCurve, NetBenefitMatchesItsDefinition) {
  // 2 events of 5; at threshold 0.5 the model treats the cases scoring >= 0.5: one event, one non-event.
  const auto curve = decision_curve({0.9, 0.2, 0.6, 0.1, 0.3}, {true, true, false, false, false}, {0.5, 0.2});
  EXPECT_NEAR(curve[0].model, 1.0 / 5 - 1.0 / 5 * 1.0, 1e-12);
  EXPECT_NEAR(curve[0].treat_all, 0.4 - 0.6 * 1.0, 1e-12);
  EXPECT_NEAR(curve[1].model, 2.0 / 5 - 2.0 / 5 * 0.25, 1e-12);  // 0.9, 0.6, 0.2(event), 0.3 -> tp 2, fp 2
  EXPECT_THROW(decision_curve({0.5}, {true}, {1.0}), core::Error);
}

TEST(Shapley, AdditiveGamesGiveEachModalityItsOwnGainAndValuesSumToTheTotal) {
  // v(S) = 0.5 + sum of gains: Shapley values are exactly the gains.
  const std::vector<double> gain{0.1, 0.05, 0.2};
  std::map<unsigned, double> value;
  for (unsigned s = 1; s < 8; ++s) {
    double v = 0.5;
    for (int i = 0; i < 3; ++i)
      if (s & (1u << i)) v += gain[i];
    value[s] = v;
  }
  const auto phi = shapley_values(3, value);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(phi[i], gain[i], 1e-12);
  // An interaction is shared: v({0,1}) has an extra 0.06 -> 0.03 each; the sum stays v(all) - 0.5.
  value[3] += 0.06;
  value[7] += 0.06;
  const auto shared = shapley_values(3, value);
  EXPECT_NEAR(shared[0], 0.13, 1e-12);
  EXPECT_NEAR(shared[0] + shared[1] + shared[2], value[7] - 0.5, 1e-12);
  value.erase(5);
  EXPECT_THROW(shapley_values(3, value), core::Error);
}

TEST(Bootstrap, IsSeededThreadIndependentAndBracketsTheEstimate) {
  core::Rng rng(4);
  Predictions p;
  for (int i = 0; i < 90; ++i) {
    const int y = i % 3;
    std::array<double, 3> row{};
    for (int k = 0; k < 3; ++k) row[k] = std::exp(rng.normal() + (k == y ? 1.0 : 0.0));
    const double s = row[0] + row[1] + row[2];
    for (auto& v : row) v /= s;
    p.labels.push_back(y);
    p.probabilities.push_back(row);
  }
  const auto one = bootstrap_metrics(p, 1000, 7, 1), two = bootstrap_metrics(p, 1000, 7, 2);
  for (const auto& [name, interval] : one) {
    EXPECT_EQ(interval.lower, two.at(name).lower) << name;
    EXPECT_EQ(interval.upper, two.at(name).upper) << name;
  }
  const auto& auc = one.at("macro_auc");
  EXPECT_LT(auc.lower, auc.estimate);
  EXPECT_GT(auc.upper, auc.estimate);
  EXPECT_LT(auc.upper - auc.lower, 0.3);
  EXPECT_NE(bootstrap_metrics(p, 1000, 8, 1).at("macro_auc").lower, auc.lower);
}

TEST(Quantile, InterpolatesLikeNumpyAndSkipsNaN) {
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, NAN, 1, 3, 2}, 0.25), 1.75);
  EXPECT_TRUE(std::isnan(quantile({NAN}, 0.5)));
}

}  // namespace
}  // namespace vbiopsy::experiments
