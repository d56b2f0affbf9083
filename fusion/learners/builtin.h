#pragma once
// The built-in classical learners (see classifier.h).
#include <opencv2/ml.hpp>

#include <string>
#include <vector>

#include "fusion/learners/classifier.h"

namespace vbiopsy::fusion {

template <typename Learner>
void add_classifier(ClassifierRegistry& registry) {
  registry.add({Learner::kName, Learner::kHelp, Learner::option_specs(),
                [](const core::ResolvedOptions& options, uint64_t seed, int threads) {
                  return std::unique_ptr<Classifier>(std::make_unique<Learner>(options, seed, threads));
                }});
}

// Multinomial logistic regression minimising mean (class-weighted) cross-entropy
// + lambda * ((1 - l1_ratio) / 2 * |W|^2 + l1_ratio * |W|_1) on standardised features, by
// accelerated proximal gradient (FISTA); the intercepts are not penalised.
class LogisticRegression : public Classifier {
 public:
  static constexpr const char* kName = "logistic";
  static constexpr const char* kHelp = "multinomial logistic regression with L1 / L2 / elastic-net penalty (FISTA)";
  static std::vector<core::OptionSpec> option_specs();
  LogisticRegression(const core::ResolvedOptions& options, uint64_t seed, int threads);
  void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) override;
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const override;
  nlohmann::json save() const override;
  void load(const nlohmann::json& state, const StateShape& shape) override;
  std::optional<MarginShapley> exact_shapley(const Eigen::RowVectorXd& x) const override;
  // Coefficients on the standardised features [p, classes] and intercepts [classes].
  const Eigen::MatrixXd& coefficients() const { return w_; }
  const Eigen::RowVectorXd& intercepts() const { return b_; }
  // Mean weighted cross-entropy gradient at the fit, on standardised features (KKT checks).
  Eigen::MatrixXd loss_gradient(const Eigen::MatrixXd& x, const std::vector<int>& y) const;
  double lambda() const { return lambda_; }
  double l1_ratio() const { return l1_ratio_; }

 private:
  Eigen::MatrixXd standardise(const Eigen::MatrixXd& x) const;
  Eigen::VectorXd case_weights(const std::vector<int>& y, int classes) const;
  double lambda_, l1_ratio_, tolerance_;
  long long max_iterations_;
  bool balanced_;
  Eigen::RowVectorXd mean_, scale_, b_;
  Eigen::MatrixXd w_;
};

// One-vs-rest OpenCV SVMs (C-SVC, RBF or linear), each Platt-calibrated on decision values from an
// internal stratified 3-fold cross-validation, then normalised (libsvm's -b 1 idea).
class SupportVectorMachine : public Classifier {
 public:
  static constexpr const char* kName = "svm";
  static constexpr const char* kHelp = "SVM (OpenCV, RBF or linear) one-vs-rest with Platt-calibrated probabilities";
  static std::vector<core::OptionSpec> option_specs();
  SupportVectorMachine(const core::ResolvedOptions& options, uint64_t seed, int threads);
  void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) override;
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const override;
  nlohmann::json save() const override;
  void load(const nlohmann::json& state, const StateShape& shape) override;

 private:
  cv::Ptr<cv::ml::SVM> train_one(const cv::Mat& x, const std::vector<int>& positive) const;
  double c_, gamma_option_;
  std::string kernel_;
  uint64_t seed_;
  double gamma_ = 1;
  Eigen::RowVectorXd mean_, scale_;
  std::vector<cv::Ptr<cv::ml::SVM>> machines_;
  std::vector<PlattScaling> calibration_;
};

// OpenCV random trees; probabilities are the trees' vote fractions.
class RandomForest : public Classifier {
 public:
  static constexpr const char* kName = "random_forest";
  static constexpr const char* kHelp = "random forest (OpenCV RTrees); probabilities = vote fractions";
  static std::vector<core::OptionSpec> option_specs();
  RandomForest(const core::ResolvedOptions& options, uint64_t seed, int threads);
  void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) override;
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const override;
  nlohmann::json save() const override;
  void load(const nlohmann::json& state, const StateShape& shape) override;

 private:
  long long trees_, max_depth_, min_samples_;
  uint64_t seed_;
  int classes_ = 0;
  cv::Ptr<cv::ml::RTrees> forest_;
};

// Extremely randomised trees (scikit-learn's ExtraTreesClassifier defaults); see extra_trees.cpp.
class ExtraTrees : public Classifier {
 public:
  static constexpr const char* kName = "extra_trees";
  static constexpr const char* kHelp =
      "extremely randomised trees (no bootstrap, random thresholds, Gini); probabilities = mean leaf frequencies";
  static std::vector<core::OptionSpec> option_specs();
  ExtraTrees(const core::ResolvedOptions& options, uint64_t seed, int threads);
  void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) override;
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const override;
  nlohmann::json save() const override;
  void load(const nlohmann::json& state, const StateShape& shape) override;

  struct Tree {  // nodes in arrays; feature -1 marks a leaf
    std::vector<int> feature;
    std::vector<double> threshold;
    std::vector<int> left, right;
    std::vector<std::vector<double>> leaf_probabilities;
  };

 private:
  long long trees_, max_features_, min_samples_split_, max_depth_;
  uint64_t seed_;
  int threads_;
  int classes_ = 0, features_ = 0;
  std::vector<Tree> forest_;
};

// Gradient-boosted trees through XGBoost's C API (multi:softprob, or binary:logistic for 2 classes).
class XGBoostClassifier : public Classifier {
 public:
  static constexpr const char* kName = "xgboost";
  static constexpr const char* kHelp = "gradient-boosted trees (libxgboost C API), multi:softprob";
  static std::vector<core::OptionSpec> option_specs();
  XGBoostClassifier(const core::ResolvedOptions& options, uint64_t seed, int threads);
  ~XGBoostClassifier() override;
  void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) override;
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const override;
  nlohmann::json save() const override;
  void load(const nlohmann::json& state, const StateShape& shape) override;
  std::optional<MarginShapley> exact_shapley(const Eigen::RowVectorXd& x) const override;

 private:
  void create_booster(void* matrix);
  core::ResolvedOptions options_;
  uint64_t seed_;
  int threads_;
  int classes_ = 0;
  void* booster_ = nullptr;
};

}  // namespace vbiopsy::fusion

namespace vbiopsy::fusion {
// Row-major float copy for OpenCV's learners.
cv::Mat to_cv_matrix(const Eigen::MatrixXd& x);
// An OpenCV model as text (its XML) and back.
std::string opencv_model_text(const cv::Ptr<cv::ml::StatModel>& model);
}  // namespace vbiopsy::fusion
