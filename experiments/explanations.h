#pragma once
// Per-feature attributions of one case's prediction: Shapley values of each selected feature column
// against a baseline case whose features are the training medians (the value a missing feature
// takes), estimated by sampling feature orders (permutation sampling, Strumbelj & Kononenko 2014)
// with a fixed seed. The model is a black box here, so the same estimator serves every fusion
// network and classical learner. Each sampled order walks from the baseline to the case one
// feature at a time, so the values add up exactly: base + sum of a class's values = the model's
// probability of that class for the case.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"

namespace vbiopsy::experiments {

struct FeatureAttribution {
  std::string modality, feature;
  double value = 0, baseline = 0;          // the case's raw value and the training median
  std::array<double, kClasses> shapley{};  // contribution to each class's probability
};

struct Explanation {
  std::array<double, kClasses> base{}, output{};  // probabilities at the baseline and for the case
  std::vector<FeatureAttribution> features;       // present modalities' selected columns, in model order
  int permutations = 0;
};

// The case at `row` of `table` (bound to the model). Image-encoder modalities keep their crops
// (their pixels are not attributed); absent modalities stay absent.
Explanation explain_case(const FittedModel& model, const FeatureTable& table, size_t row, int permutations = 16, uint64_t seed = 1);

// explanations/shap.csv: modality,feature,value,baseline,shap_zero,shap_low,shap_positive, by
// decreasing |value for the predicted class|, with the base and output rows first.
std::string explanation_csv(const Explanation& explanation, int predicted_class);

}  // namespace vbiopsy::experiments
