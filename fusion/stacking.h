#pragma once
// Late fusion by stacking, as in the seed studies' joint models and DM-VBS: per-modality heads
// give class probabilities; a classical meta-learner (logistic regression or XGBoost) combines them.
// The meta-learner is fitted on out-of-fold predictions of inner folds of the training data only,
// never on predictions for cases the heads were trained on.
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>

#include "fusion/learners/classifier.h"
#include "fusion/model.h"
#include "fusion/training.h"

namespace vbiopsy::fusion {

struct StackingOptions {
  int inner_folds = 3;
  std::string learner = "logistic";
  std::map<std::string, std::string> learner_options;
};

// [fusion.late] stacking_learner / stacking_folds / stacking_<option> configure the meta-learner;
// they are taken out of the options the late fusion module sees.
StackingOptions take_stacking_options(std::map<std::string, std::string>& options);
std::vector<core::OptionSpec> stacking_option_specs();

// Meta-features: for each modality its class probabilities (the training class prior when the
// modality is absent) and a presence flag. modality_probabilities [N, M, 3], present [N, M].
Eigen::MatrixXd stacking_features(const torch::Tensor& modality_probabilities, const torch::Tensor& present,
                                  const std::vector<double>& prior);

class StackedLateModel {
 public:
  // spec must be late fusion. Model initialisation per inner fold is seeded from options.seed.
  void fit(const ModelSpec& spec, const Batch& train, const TrainingOptions& options, const StackingOptions& stacking);
  torch::Tensor predict(const Batch& data);  // [N, 3]

  MultimodalModel& model() { return model_; }
  // The meta-learner's state for a bundle's metadata, and back.
  nlohmann::json save_meta() const;
  void load_meta(MultimodalModel model, const nlohmann::json& state);

 private:
  MultimodalModel model_{nullptr};
  std::string learner_;
  std::unique_ptr<Classifier> meta_;
  std::vector<double> prior_;
};

}  // namespace vbiopsy::fusion
