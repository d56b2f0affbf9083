#include "experiments/ood.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "experiments/statistics/bootstrap.h"

namespace vbiopsy::experiments {

namespace {

constexpr double kShrinkage = 0.2;

Eigen::MatrixXd shrunk_covariance(const Eigen::MatrixXd& z, const Eigen::RowVectorXd& mean) {
  const Eigen::MatrixXd centred = z.rowwise() - mean;
  Eigen::MatrixXd s = centred.transpose() * centred / static_cast<double>(std::max<Eigen::Index>(z.rows() - 1, 1));
  Eigen::MatrixXd diagonal = s.diagonal().asDiagonal();
  diagonal.diagonal().array() += 1e-6;  // a constant column must not make it singular
  return (1 - kShrinkage) * s + kShrinkage * diagonal;
}

}  // namespace

void OutOfDistribution::set_covariance(Eigen::MatrixXd covariance) {
  covariance_ = std::move(covariance);
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(covariance_);
  if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().array() > 0).all())
    core::fail("out-of-distribution covariance is not positive definite");
  precision_ = ldlt.solve(Eigen::MatrixXd::Identity(covariance_.rows(), covariance_.cols()));
}

OutOfDistribution OutOfDistribution::fit(const Eigen::MatrixXd& z) {
  OutOfDistribution out;
  if (z.rows() < kMinimumCases || z.cols() == 0 || !z.allFinite()) return out;
  std::vector<double> held_out;
  for (int fold = 0; fold < 3; ++fold) {
    std::vector<Eigen::Index> fit_rows, test_rows;
    for (Eigen::Index i = 0; i < z.rows(); ++i) (i % 3 == fold ? test_rows : fit_rows).push_back(i);
    const Eigen::MatrixXd part = z(fit_rows, Eigen::all);
    OutOfDistribution partial;
    partial.mean_ = part.colwise().mean();
    partial.set_covariance(shrunk_covariance(part, partial.mean_));
    for (auto i : test_rows) held_out.push_back(partial.distance(z.row(i)));
  }
  out.mean_ = z.colwise().mean();
  out.set_covariance(shrunk_covariance(z, out.mean_));
  out.threshold_ = quantile(held_out, kQuantile);
  return out;
}

double OutOfDistribution::distance(const Eigen::RowVectorXd& z) const {
  if (!fitted()) return NAN;
  const Eigen::RowVectorXd d = z - mean_;
  return std::sqrt(std::max(0.0, (d * precision_ * d.transpose())(0, 0)));
}

nlohmann::json OutOfDistribution::save() const {
  if (!fitted()) return nullptr;
  return {{"mean", std::vector<double>(mean_.data(), mean_.data() + mean_.size())},
          {"covariance", std::vector<double>(covariance_.data(), covariance_.data() + covariance_.size())},
          {"threshold", threshold_}};
}

OutOfDistribution OutOfDistribution::load(const nlohmann::json& state, Eigen::Index features) {
  OutOfDistribution out;
  if (state.is_null()) return out;
  try {
    const auto mean = state.at("mean").get<std::vector<double>>(),
               covariance = state.at("covariance").get<std::vector<double>>();
    out.threshold_ = state.at("threshold").get<double>();
    if (static_cast<Eigen::Index>(mean.size()) != features ||
        static_cast<Eigen::Index>(covariance.size()) != features * features)
      core::fail(mean.size(), " means and ", covariance.size(), " covariances for ", features, " features");
    for (double v : mean)
      if (!std::isfinite(v)) core::fail("a mean is ", v);
    for (double v : covariance)
      if (!std::isfinite(v)) core::fail("a covariance is ", v);
    if (!(out.threshold_ > 0) || !std::isfinite(out.threshold_))
      core::fail("threshold ", out.threshold_, ", expected > 0");
    out.mean_ = Eigen::Map<const Eigen::RowVectorXd>(mean.data(), features);
    out.set_covariance(Eigen::Map<const Eigen::MatrixXd>(covariance.data(), features, features));
  } catch (const nlohmann::json::exception& e) {
    core::fail("out-of-distribution state: ", e.what());
  } catch (const core::Error& e) {
    core::fail("out-of-distribution state: ", e.what());
  }
  return out;
}

}  // namespace vbiopsy::experiments
