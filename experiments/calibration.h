#pragma once
// Post-hoc calibration of a model's three-class probabilities, and split-conformal prediction
// sets; both are fitted on a calibration split held out of a training set (FittedModel::fit), never
// on the cases they are then applied to.
//
// Calibration methods (`[calibration] method`):
// - temperature: p_k proportional to p_k^(1/T), one T > 0 minimising the cross-entropy (Guo et al. 2017);
// - platt: per class a logistic map of logit(p_k), one class against the rest, then renormalised;
// - isotonic: per class a non-decreasing map of p_k (pool adjacent violators), linearly interpolated
//   between its knots and clipped at its ends as scikit-learn's IsotonicRegression, then renormalised.
//
// Conformal sets: class-conditional (Mondrian) split conformal with the score 1 - p_y. Class k is
// in a case's set when 1 - p_k <= q_k, where q_k is the ceil((n_k + 1)(1 - alpha))-th smallest score
// of the n_k calibration cases of class k (every class when that rank exceeds n_k). For exchangeable
// cases this covers the true class with probability >= 1 - alpha within each class (Vovk 2005;
// Angelopoulos & Bates 2021). A set may be empty: the case is unlike every class's calibration cases.
#include <array>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

using ClassProbabilities = std::array<double, kClasses>;

// none | temperature | platt | isotonic; fails naming anything else.
void check_calibration_method(const std::string& method);

struct Calibrator {
  std::string method = "none";
  double temperature = 1;
  std::array<std::pair<double, double>, kClasses> platt{};                // (a, b) per class
  std::array<std::vector<std::pair<double, double>>, kClasses> isotonic;  // knots (x, y) per class, x increasing

  static Calibrator fit(const std::string& method, const Probabilities& probabilities, const std::vector<int>& labels);
  ClassProbabilities apply(const ClassProbabilities& p) const;
  nlohmann::json save() const;
  static Calibrator load(const nlohmann::json& state);  // checks every value
};

// Bit k set: class k is in the set.
using ClassSet = unsigned;

struct ConformalSets {
  double alpha = 0;  // 0: no sets
  ClassProbabilities thresholds{1, 1, 1};
  std::array<int, kClasses> calibration_cases{0, 0, 0};

  static ConformalSets fit(double alpha, const Probabilities& probabilities, const std::vector<int>& labels);
  bool enabled() const { return alpha > 0; }
  ClassSet set_of(const ClassProbabilities& p) const;
  nlohmann::json save() const;
  static ConformalSets load(const nlohmann::json& state);
};

// "low|positive" ("" for the empty set), in class order; and back (fails naming the text).
std::string set_text(ClassSet set);
ClassSet parse_set_text(const std::string& text);
int set_size(ClassSet set);
// "HER2-low or HER2-positive"; "no class" for the empty set.
std::string set_description(ClassSet set);

}  // namespace vbiopsy::experiments
