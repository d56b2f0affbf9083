#pragma once
// ComBat harmonisation across sites (Johnson, Li & Rabinovic 2007; as neuroCombat applies it to
// imaging features, Fortin et al. 2018): per feature, each site's additive and multiplicative effect
// on the standardised values, shrunk by empirical Bayes across features (parametric priors), then
// removed. Fitted on training cases only; applying it to other cases uses the fitted parameters
// and never their values. No biological covariates: the class cannot be one (it is unknown for the
// cases to predict), so the model is the location/scale one.
//
// A site without at least two training cases (e.g. the held-out site of leave-one-site-out) has no
// estimate: its cases are left as they are (no site correction), and apply names them.
#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <vector>

namespace vbiopsy::experiments {

class Combat {
 public:
  // values: [cases, features], finite (impute first); sites: one per row.
  void fit(const Eigen::MatrixXd& values, const std::vector<std::string>& sites);
  // unharmonised, when given, receives the sites of `sites` that have no estimate.
  Eigen::MatrixXd apply(const Eigen::MatrixXd& values, const std::vector<std::string>& sites,
                        std::vector<std::string>* unharmonised = nullptr) const;

  // Per site: the raw (gamma_hat, delta_hat) and shrunk (gamma_star, delta_star) estimates.
  struct SiteEffect {
    Eigen::VectorXd gamma_hat, delta_hat, gamma_star, delta_star;
  };
  const std::map<std::string, SiteEffect>& sites() const { return sites_; }

  bool knows(const std::string& site) const { return sites_.count(site) > 0; }
  Eigen::Index features() const { return mean_.size(); }
  // The fitted parameters of some features only (each feature's are independent once fitted).
  Combat subset(const std::vector<size_t>& features) const;

  nlohmann::json save() const;
  static Combat load(const nlohmann::json& state);

 private:
  Eigen::VectorXd mean_, pooled_sd_;
  std::map<std::string, SiteEffect> sites_;
};

}  // namespace vbiopsy::experiments
