#pragma once
// How far a case lies from the training cases of one modality, on the standardised selected
// features a model reads: the Mahalanobis distance under the training covariance, shrunk a fifth
// of the way towards its diagonal so that it stays invertible with fewer cases than features. The
// threshold is the 99th percentile of out-of-fold distances of the training cases themselves
// (3-fold cross-fitting: in-sample distances of the cases a covariance was fitted on are too small),
// so about 1% of ordinary cases exceed it; the runner measures that rate on its held-out folds.
#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>

namespace vbiopsy::experiments {

class OutOfDistribution {
 public:
  static constexpr double kQuantile = 0.99;
  static constexpr int kMinimumCases = 9;  // three per fold; fewer: no distance

  // z: [training cases that have the modality, features].
  static OutOfDistribution fit(const Eigen::MatrixXd& z);
  bool fitted() const { return mean_.size() > 0; }
  double distance(const Eigen::RowVectorXd& z) const;
  double threshold() const { return threshold_; }
  nlohmann::json save() const;
  static OutOfDistribution load(const nlohmann::json& state, Eigen::Index features);  // checks every value

 private:
  void set_covariance(Eigen::MatrixXd covariance);
  Eigen::RowVectorXd mean_;
  Eigen::MatrixXd covariance_, precision_;
  double threshold_ = 0;
};

}  // namespace vbiopsy::experiments
