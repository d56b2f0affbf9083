#pragma once
// Per-feature attributions of one case's prediction, as Shapley values that add up exactly:
// base + the sum of a class's values = the case's output for that class.
// - Classical learners with an exact method (logistic: linear SHAP; xgboost: TreeSHAP) on feature
//   columns: exact values of the learner's margins (logits; softmax of them = the uncalibrated
//   probabilities), one per selected column and one per modality's presence flag.
// - Every other model (fusion networks, svm, forests): Shapley values of the probabilities against
//   a baseline case whose features are the training medians (the value a missing feature takes),
//   estimated by sampling feature orders (permutation sampling, Strumbelj & Kononenko 2014) with a
//   fixed seed. Each sampled order walks from the baseline to the case one feature at a time.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"

namespace vbiopsy::experiments {

struct FeatureAttribution {
  std::string modality, feature;
  double value = 0,
         baseline =
             0;  // the case's raw value and the training median (NaN: exact methods have no single baseline case)
  std::array<double, kClasses> shapley{};  // contribution to each class's probability
};

struct Explanation {
  std::string method;                             // how the values were computed
  std::string scale;                              // "probability" or "margin (logit)"
  std::array<double, kClasses> base{}, output{};  // at the baseline / expected input, and for the case
  std::vector<FeatureAttribution> features;       // present modalities' selected columns, in model order
  int permutations = 0;                           // sampled orders; 0 for an exact method
};

// The case at `row` of `table` (bound to the model): exact when the model has an exact method,
// else sampled. Image-encoder modalities keep their crops (their pixels are not attributed); absent
// modalities stay absent.
Explanation explain_case(const FittedModel& model, const FeatureTable& table, size_t row, int permutations = 16,
                         uint64_t seed = 1);
// The sampled estimator alone, for any model.
Explanation sample_explanation(const FittedModel& model, const FeatureTable& table, size_t row, int permutations,
                               uint64_t seed);

// A model's global view: per feature, the mean over the rows and the classes of |Shapley value|
// (explain_case for each row), by decreasing importance.
struct GlobalImportance {
  std::string modality, feature;
  double mean_abs = 0;
};
struct GlobalImportances {
  std::string method, scale;
  size_t cases = 0;
  std::vector<GlobalImportance> features;
};
GlobalImportances global_importances(const FittedModel& model, const FeatureTable& table,
                                     const std::vector<size_t>& rows, int permutations, uint64_t seed);
// importances.csv: modality,feature,mean_abs_shap, with a comment line naming method, scale and cases.
std::string importances_csv(const GlobalImportances& importances);
GlobalImportances read_importances_csv(const std::filesystem::path& file);

// explanations/shap.csv: modality,feature,value,baseline,shap_zero,shap_low,shap_positive, by
// decreasing |value for the predicted class|, with the base and output rows first.
std::string explanation_csv(const Explanation& explanation, int predicted_class);

}  // namespace vbiopsy::experiments
