#include "experiments/harmonisation.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace vbiopsy::experiments {

namespace {

std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

Eigen::VectorXd from_vector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

double sample_variance(const Eigen::VectorXd& v) {
  return (v.array() - v.mean()).square().sum() / static_cast<double>(v.size() - 1);
}

// The parametric empirical Bayes estimates of one site (sva's it.sol): alternate the posterior mean
// of gamma given delta and of delta given gamma until both change by less than 1e-4 (relative).
void shrink(const Eigen::MatrixXd& standardised, Combat::SiteEffect& effect) {
  const auto n = static_cast<double>(standardised.rows());
  const Eigen::Index features = standardised.cols();
  const double gamma_bar = effect.gamma_hat.mean();
  const double tau2 = features > 1 ? sample_variance(effect.gamma_hat) : 0;
  const double m = effect.delta_hat.mean(), s2 = features > 1 ? sample_variance(effect.delta_hat) : 0;
  if (!(tau2 > 0) || !(s2 > 0)) {  // one feature, or identical estimates: nothing to pool
    effect.gamma_star = effect.gamma_hat;
    effect.delta_star = effect.delta_hat;
    return;
  }
  const double a = (2 * s2 + m * m) / s2, b = (m * s2 + m * m * m) / s2;  // inverse-gamma prior by moments
  Eigen::VectorXd gamma = effect.gamma_hat, delta = effect.delta_hat;
  for (int iteration = 0; iteration < 1000; ++iteration) {
    const Eigen::VectorXd gamma_new =
        (n * tau2 * effect.gamma_hat.array() + delta.array() * gamma_bar) / (n * tau2 + delta.array());
    Eigen::VectorXd delta_new(features);
    for (Eigen::Index g = 0; g < features; ++g) {
      const double sum2 = (standardised.col(g).array() - gamma_new(g)).square().sum();
      delta_new(g) = (0.5 * sum2 + b) / (n / 2 + a - 1);
    }
    const double change = std::max(((gamma_new - gamma).array().abs() / gamma.array().abs().max(1e-300)).maxCoeff(),
                                   ((delta_new - delta).array().abs() / delta.array().abs().max(1e-300)).maxCoeff());
    gamma = gamma_new;
    delta = delta_new;
    if (change < 1e-4) break;
  }
  effect.gamma_star = gamma;
  effect.delta_star = delta;
}

}  // namespace

void Combat::fit(const Eigen::MatrixXd& values, const std::vector<std::string>& sites) {
  if (static_cast<size_t>(values.rows()) != sites.size())
    core::fail("ComBat: ", values.rows(), " rows but ", sites.size(), " sites");
  if (!values.allFinite()) core::fail("ComBat: values must be finite (impute missing values first)");
  const Eigen::Index features = values.cols();
  sites_.clear();
  std::map<std::string, std::vector<Eigen::Index>> rows_of;
  for (size_t i = 0; i < sites.size(); ++i) rows_of[sites[i]].push_back(static_cast<Eigen::Index>(i));
  // The design is the site indicators: the fitted values are the site means, the grand mean is
  // their case-weighted average, and the pooled variance is the mean squared residual.
  mean_ = values.colwise().mean().transpose();
  Eigen::VectorXd residual2 = Eigen::VectorXd::Zero(features);
  for (const auto& [site, rows] : rows_of) {
    Eigen::VectorXd site_mean = Eigen::VectorXd::Zero(features);
    for (auto r : rows) site_mean += values.row(r).transpose();
    site_mean /= static_cast<double>(rows.size());
    for (auto r : rows) residual2 += (values.row(r).transpose() - site_mean).array().square().matrix();
  }
  pooled_sd_ = (residual2 / static_cast<double>(values.rows())).array().sqrt();
  for (Eigen::Index g = 0; g < features; ++g)
    if (!(pooled_sd_(g) > 0)) pooled_sd_(g) = 1;  // constant within every site: nothing to scale
  for (const auto& [site, rows] : rows_of) {
    if (rows.size() < 2) continue;  // no variance estimate: treated as unseen
    Eigen::MatrixXd standardised(static_cast<Eigen::Index>(rows.size()), features);
    for (size_t i = 0; i < rows.size(); ++i)
      standardised.row(static_cast<Eigen::Index>(i)) =
          (values.row(rows[i]).transpose() - mean_).cwiseQuotient(pooled_sd_).transpose();
    SiteEffect effect;
    effect.gamma_hat = standardised.colwise().mean().transpose();
    effect.delta_hat.resize(features);
    for (Eigen::Index g = 0; g < features; ++g)
      effect.delta_hat(g) = std::max(sample_variance(standardised.col(g)), 1e-12);
    shrink(standardised, effect);
    sites_[site] = std::move(effect);
  }
}

Eigen::MatrixXd Combat::apply(const Eigen::MatrixXd& values, const std::vector<std::string>& sites,
                              std::vector<std::string>* unharmonised) const {
  if (static_cast<size_t>(values.rows()) != sites.size())
    core::fail("ComBat: ", values.rows(), " rows but ", sites.size(), " sites");
  if (values.cols() != mean_.size()) core::fail("ComBat: ", values.cols(), " features, fitted on ", mean_.size());
  Eigen::MatrixXd out = values;
  std::set<std::string> unseen;
  for (Eigen::Index i = 0; i < values.rows(); ++i) {
    const auto it = sites_.find(sites[static_cast<size_t>(i)]);
    if (it == sites_.end()) {
      unseen.insert(sites[static_cast<size_t>(i)]);
      continue;  // no estimate: left as it is
    }
    const auto& e = it->second;
    const Eigen::ArrayXd z = (values.row(i).transpose() - mean_).cwiseQuotient(pooled_sd_).array();
    out.row(i) = (((z - e.gamma_star.array()) / e.delta_star.array().sqrt()) * pooled_sd_.array() + mean_.array())
                     .matrix()
                     .transpose();
  }
  if (unharmonised) unharmonised->assign(unseen.begin(), unseen.end());
  return out;
}

Combat Combat::subset(const std::vector<size_t>& features) const {
  auto pick = [&](const Eigen::VectorXd& v) {
    Eigen::VectorXd out(static_cast<Eigen::Index>(features.size()));
    for (size_t j = 0; j < features.size(); ++j)
      out(static_cast<Eigen::Index>(j)) = v(static_cast<Eigen::Index>(features[j]));
    return out;
  };
  Combat c;
  c.mean_ = pick(mean_);
  c.pooled_sd_ = pick(pooled_sd_);
  for (const auto& [site, e] : sites_)
    c.sites_[site] = {pick(e.gamma_hat), pick(e.delta_hat), pick(e.gamma_star), pick(e.delta_star)};
  return c;
}

nlohmann::json Combat::save() const {
  nlohmann::json state = {
      {"mean", to_vector(mean_)}, {"pooled_sd", to_vector(pooled_sd_)}, {"sites", nlohmann::json::object()}};
  for (const auto& [site, e] : sites_)
    state["sites"][site] = {{"gamma_hat", to_vector(e.gamma_hat)},
                            {"delta_hat", to_vector(e.delta_hat)},
                            {"gamma_star", to_vector(e.gamma_star)},
                            {"delta_star", to_vector(e.delta_star)}};
  return state;
}

Combat Combat::load(const nlohmann::json& state) {
  Combat c;
  try {
    c.mean_ = from_vector(state.at("mean").get<std::vector<double>>());
    c.pooled_sd_ = from_vector(state.at("pooled_sd").get<std::vector<double>>());
    for (const auto& [site, e] : state.at("sites").items()) {
      SiteEffect effect{from_vector(e.at("gamma_hat").get<std::vector<double>>()),
                        from_vector(e.at("delta_hat").get<std::vector<double>>()),
                        from_vector(e.at("gamma_star").get<std::vector<double>>()),
                        from_vector(e.at("delta_star").get<std::vector<double>>())};
      if (effect.gamma_star.size() != c.mean_.size() || effect.delta_star.size() != c.mean_.size())
        core::fail("site '", site, "' has ", effect.gamma_star.size(), " features, expected ", c.mean_.size());
      c.sites_[site] = std::move(effect);
    }
  } catch (const nlohmann::json::exception& e) {
    core::fail("ComBat state: ", e.what());
  }
  if (c.pooled_sd_.size() != c.mean_.size())
    core::fail("ComBat state: ", c.mean_.size(), " means but ", c.pooled_sd_.size(), " scales");
  return c;
}

}  // namespace vbiopsy::experiments
