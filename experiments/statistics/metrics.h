#pragma once
// Classification metrics of three-class HER2 predictions (0 = zero, 1 = low, 2 = positive) from
// out-of-fold probabilities: one-vs-rest AUCs (exact Mann-Whitney with ties), macro and micro AUC,
// accuracy, balanced accuracy, per-class sensitivity / specificity / PPV / NPV, the confusion
// matrix, the multi-class Brier score and calibration (reliability curve, expected calibration error).
#include <array>
#include <map>
#include <string>
#include <vector>

#include "datasets/her2.h"

namespace vbiopsy::experiments {

constexpr int kClasses = datasets::kHer2ClassCount;
inline constexpr const auto& kClassNames = datasets::kHer2ClassNames;  // zero, low, positive

using Probabilities = std::vector<std::array<double, kClasses>>;

struct Predictions {
  std::vector<int> labels;      // true class per case
  Probabilities probabilities;  // per case, summing to 1
};

// Rows: true class; columns: predicted class (the most probable; ties go to the lower class).
using ConfusionMatrix = std::array<std::array<long, kClasses>, kClasses>;

int predicted_class(const std::array<double, kClasses>& p);
ConfusionMatrix confusion_matrix(const Predictions& predictions);

// Every scalar metric by name (auc_zero, auc_low, auc_positive, macro_auc, micro_auc, accuracy,
// balanced_accuracy, sensitivity_<class>, specificity_<class>, ppv_<class>, npv_<class>, brier, ece).
// Undefined values (e.g. an AUC without a class) are NaN.
std::map<std::string, double> compute_metrics(const Predictions& predictions);

struct ReliabilityBin {
  double lower = 0, upper = 0;
  long count = 0;
  double mean_confidence = 0, accuracy = 0;
};
// Confidence (the top probability) against accuracy in `bins` equal-width bins.
std::vector<ReliabilityBin> reliability_curve(const Predictions& predictions, int bins = 10);
double expected_calibration_error(const Predictions& predictions, int bins = 10);

// The binary endpoints the reports use: a score and a 0/1 outcome per case.
struct Endpoint {
  std::string name;
  std::vector<double> scores;
  std::vector<bool> outcome;
};
// zero_vs_rest, low_vs_rest, positive_vs_rest, and zero_vs_atleastlow (score = 1 - p_zero).
std::vector<Endpoint> endpoints(const Predictions& predictions);

// Checks sizes, labels and probability rows; throws core::Error naming the problem.
void check_predictions(const Predictions& predictions);

}  // namespace vbiopsy::experiments
