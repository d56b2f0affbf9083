#pragma once
// The classical learners of the seed studies (radiomics pipelines and stacking meta-learners),
// selected by name like the encoders: logistic (multinomial, L1/L2/elastic net), svm (OpenCV,
// Platt-calibrated probabilities), random_forest (OpenCV random trees), extra_trees, xgboost (libxgboost).
// Any number of classes >= 2 (the DM-VBS submodels are binary).
#include <Eigen/Dense>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/registry.h"

namespace vbiopsy::fusion {

// The inputs a fitted classifier takes and the classes it returns.
struct StateShape {
  Eigen::Index features = 0;
  int classes = 0;
};

// Exact Shapley values of one case's margin, the learner's raw score per class before its link
// (softmax of the margins = the probabilities): base(k) + values.row(k).sum() is the case's margin
// for class k.
struct MarginShapley {
  std::string method;      // how they were computed, for the reader of an explanation
  Eigen::VectorXd base;    // [classes]: the margin of the reference (expected) input
  Eigen::MatrixXd values;  // [classes, features]
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  // x: [n, p] (rows are cases, all finite); y: labels 0..classes-1, every class present.
  virtual void fit(const Eigen::MatrixXd& x, const std::vector<int>& y) = 0;
  // [n, classes] rows summing to 1.
  virtual Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& x) const = 0;
  // The fitted state, for bundles; load with load_classifier.
  virtual nlohmann::json save() const = 0;
  // Restores a saved state, refusing one whose parts disagree with each other or with `shape` (what
  // the caller will feed it): a bundle is edited text, and a tree index or a vector length taken on
  // trust would read outside the model's memory.
  virtual void load(const nlohmann::json& state, const StateShape& shape) = 0;
  // Exact Shapley values of the margin for one input row, for learners that have an exact method
  // (logistic: linear SHAP; xgboost: TreeSHAP); nullopt for the others.
  virtual std::optional<MarginShapley> exact_shapley(const Eigen::RowVectorXd&) const { return std::nullopt; }
};

using ClassifierFactory =
    std::function<std::unique_ptr<Classifier>(const core::ResolvedOptions&, uint64_t seed, int threads)>;
using ClassifierRegistry = core::Registry<ClassifierFactory>;

void register_builtin_classifiers(ClassifierRegistry& registry);
const ClassifierRegistry& builtin_classifiers();
std::unique_ptr<Classifier> make_classifier(const std::string& name, const std::map<std::string, std::string>& options,
                                            uint64_t seed = 1, int threads = 1);
// A saved classifier of the named learner, checked against `shape`; every malformed state (missing
// field, wrong type, wrong length, an index out of range) is an Error naming the learner.
std::unique_ptr<Classifier> load_classifier(const std::string& name, const nlohmann::json& state,
                                            const StateShape& shape);

// For load(): fails unless a state's own feature and class counts equal what its caller expects.
void require_state_shape(Eigen::Index features, long long classes, const StateShape& expected);
// For load(): every value finite (and > 0 when `positive`), naming the field.
void require_finite(const char* field, const std::vector<double>& values, bool positive = false);

// Checks x/y shapes, finiteness and labels; returns the number of classes (max label + 1).
int check_training_data(const char* learner, const Eigen::MatrixXd& x, const std::vector<int>& y);

// Platt scaling (Platt 1999 with the Lin, Lin & Weng 2007 Newton method): P(y=1 | f) =
// 1 / (1 + exp(a f + b)) fitted to decision values f and binary targets.
struct PlattScaling {
  double a = 0, b = 0;
  void fit(const std::vector<double>& decision, const std::vector<bool>& positive);
  double operator()(double decision) const;
};

}  // namespace vbiopsy::fusion
