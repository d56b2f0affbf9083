#pragma once
// Binary submodels combined by a meta-learner: the design of the dual-modal virtual biopsy system
// (DM-VBS). Per modality, two binary classifiers answer the two clinical questions — HER2-positive
// vs not (zero/low vs positive) and HER2-zero vs not (zero vs low/positive) — and a meta-learner
// (XGBoost by default) turns their probabilities, with one presence flag per modality, into the
// three classes. The meta-learner is fitted on inner-fold out-of-fold submodel probabilities of the
// training cases only; a modality a case lacks contributes the training prevalence of each answer.
//
// Selected in a config as the fusion method `submodels`; [fusion.submodels] learner (default
// logistic), meta (default xgboost), inner_folds (default 3), learner_<option>, meta_<option>.
#include <Eigen/Dense>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/registry.h"

namespace vbiopsy::fusion {

class Classifier;

class BinarySubmodels {
 public:
  struct Options {
    std::string learner = "logistic", meta = "xgboost";
    std::map<std::string, std::string> learner_options, meta_options;
    int inner_folds = 3;
  };
  static Options options_from(const std::map<std::string, std::string>& options);
  // The options above with their defaults (learner_<option> and meta_<option> pass on).
  static std::vector<core::OptionSpec> option_specs();

  BinarySubmodels();
  ~BinarySubmodels();
  BinarySubmodels(BinarySubmodels&&) noexcept;
  BinarySubmodels& operator=(BinarySubmodels&&) noexcept;

  // blocks: per modality [cases, columns] (finite); present: per modality, per case.
  void fit(const std::vector<Eigen::MatrixXd>& blocks, const std::vector<std::vector<bool>>& present,
           const std::vector<int>& labels, const Options& options, uint64_t seed, int threads);
  Eigen::MatrixXd predict_proba(const std::vector<Eigen::MatrixXd>& blocks,
                                const std::vector<std::vector<bool>>& present) const;

  nlohmann::json save() const;
  // block_widths: the columns of each modality's block, which the submodels were fitted on.
  static BinarySubmodels load(const nlohmann::json& state, const std::vector<Eigen::Index>& block_widths);

 private:
  // [cases, 3 per modality]: P(positive), P(zero), presence.
  Eigen::MatrixXd meta_features(const std::vector<std::vector<const Classifier*>>& submodels,
                                const std::vector<Eigen::MatrixXd>& blocks,
                                const std::vector<std::vector<bool>>& present) const;

  std::string learner_, meta_name_;
  std::vector<std::vector<std::unique_ptr<Classifier>>> submodels_;  // [modality][question]
  std::vector<double> prevalence_;                                   // of the two answers in training
  std::unique_ptr<Classifier> meta_;
};

}  // namespace vbiopsy::fusion
