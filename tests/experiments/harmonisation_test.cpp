#include "experiments/harmonisation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/random.h"
#include "experiments/preprocessing.h"

namespace vbiopsy::experiments {
namespace {

// Features with a class signal (the first five), per-site additive and multiplicative effects on
// every feature, and noise. Classes are balanced across sites, as ComBat without covariates needs.
struct SiteData {
  Eigen::MatrixXd values;
  std::vector<std::string> sites;
  std::vector<int> labels;
};

struct SiteEffects {
  Eigen::MatrixXd shift, scale;  // [site, feature]
};

SiteEffects draw_effects(core::Rng& rng, int sites, int features) {
  SiteEffects e{Eigen::MatrixXd(sites, features), Eigen::MatrixXd(sites, features)};
  for (int s = 0; s < sites; ++s)
    for (int g = 0; g < features; ++g) {
      e.shift(s, g) = 2.0 * rng.normal();
      e.scale(s, g) = 0.5 + 1.5 * rng.uniform();
    }
  return e;
}

SiteData draw(core::Rng& rng, const SiteEffects& effects, int cases) {
  const auto features = effects.shift.cols();
  SiteData d{Eigen::MatrixXd(cases, features), {}, {}};
  for (int i = 0; i < cases; ++i) {
    const int site = i % 3, label = (i / 3) % 3;
    d.sites.push_back("S" + std::to_string(site));
    d.labels.push_back(label);
    for (Eigen::Index g = 0; g < features; ++g)
      d.values(i, g) =
          10 + (g < 5 ? 1.0 * label : 0.0) + effects.shift(site, g) + effects.scale(site, g) * rng.normal();
  }
  return d;
}

// Largest distance between two sites' means of a feature, in units of the pooled SD.
double site_mean_spread(const SiteData& d, Eigen::Index g) {
  double lo = 1e300, hi = -1e300;
  for (const char* site : {"S0", "S1", "S2"}) {
    double sum = 0, n = 0;
    for (size_t i = 0; i < d.sites.size(); ++i)
      if (d.sites[i] == site) {
        sum += d.values(static_cast<Eigen::Index>(i), g);
        n += 1;
      }
    lo = std::min(lo, sum / n);
    hi = std::max(hi, sum / n);
  }
  const double mean = d.values.col(g).mean();
  const double sd =
      std::sqrt((d.values.col(g).array() - mean).square().sum() / static_cast<double>(d.values.rows() - 1));
  return (hi - lo) / sd;
}

double site_sd_ratio(const SiteData& d, Eigen::Index g) {
  double lo = 1e300, hi = 0;
  for (const char* site : {"S0", "S1", "S2"}) {
    std::vector<double> v;
    for (size_t i = 0; i < d.sites.size(); ++i)
      if (d.sites[i] == site) v.push_back(d.values(static_cast<Eigen::Index>(i), g));
    double m = 0, s = 0;
    for (double x : v) m += x / static_cast<double>(v.size());
    for (double x : v) s += (x - m) * (x - m) / static_cast<double>(v.size() - 1);
    lo = std::min(lo, std::sqrt(s));
    hi = std::max(hi, std::sqrt(s));
  }
  return hi / lo;
}

TEST(Combat, RemovesPlantedSiteEffectsOnHeldOutCasesAndKeepsTheClassSignal) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    core::Rng rng(seed);
    const auto effects = draw_effects(rng, 3, 30);
    const auto train = draw(rng, effects, 600), test = draw(rng, effects, 600);
    Combat combat;
    combat.fit(train.values, train.sites);
    SiteData harmonised = test;
    std::vector<std::string> unharmonised;
    harmonised.values = combat.apply(test.values, test.sites, &unharmonised);
    EXPECT_TRUE(unharmonised.empty());
    // Averages over the features: site-mean spread in pooled SDs, and largest / smallest site SD.
    double spread_before = 0, spread_after = 0, ratio_before = 0, ratio_after = 0;
    for (Eigen::Index g = 0; g < 30; ++g) {
      spread_before += site_mean_spread(test, g) / 30;
      spread_after += site_mean_spread(harmonised, g) / 30;
      ratio_before += site_sd_ratio(test, g) / 30;
      ratio_after += site_sd_ratio(harmonised, g) / 30;
    }
    EXPECT_GT(spread_before, 1.0) << seed;
    EXPECT_LT(spread_after, 0.15 * spread_before) << seed;  // what is left is the sampling noise of 200 cases per site
    EXPECT_GT(ratio_before, 1.8) << seed;
    EXPECT_LT(ratio_after, 1.2) << seed;
    // The class signal survives and stands out more once the site variation is gone.
    for (Eigen::Index g = 0; g < 5; ++g) {
      std::vector<double> before(test.values.col(g).data(), test.values.col(g).data() + test.values.rows());
      std::vector<double> after(harmonised.values.col(g).data(),
                                harmonised.values.col(g).data() + harmonised.values.rows());
      EXPECT_GT(anova_f(after, test.labels), anova_f(before, test.labels)) << seed << " feature " << g;
    }
  }
}

// Empirical Bayes pools the features' estimates: with few cases per site it shrinks them toward the
// site's average, and as the cases grow the data win (the shrunk estimates approach the raw ones).
TEST(Combat, EmpiricalBayesShrinkageFadesAsTheSitesGrow) {
  core::Rng rng(6);
  const auto effects = draw_effects(rng, 3, 30);
  double previous = 1e300;
  for (int cases : {30, 300, 3000}) {
    const auto data = draw(rng, effects, cases);
    Combat combat;
    combat.fit(data.values, data.sites);
    double change = 0;
    for (const auto& [site, e] : combat.sites()) {
      change = std::max(change, (e.gamma_star - e.gamma_hat).cwiseAbs().maxCoeff());
      change = std::max(change, ((e.delta_star - e.delta_hat).array() / e.delta_hat.array()).abs().maxCoeff());
      // Shrinkage moves each estimate toward the site's average, never past it.
      const double gamma_bar = e.gamma_hat.mean();
      for (Eigen::Index g = 0; g < e.gamma_hat.size(); ++g)
        EXPECT_LE(std::abs(e.gamma_star(g) - gamma_bar), std::abs(e.gamma_hat(g) - gamma_bar) + 1e-12);
    }
    EXPECT_LT(change, previous) << cases;
    previous = change;
  }
  EXPECT_LT(previous, 0.05);
}

TEST(Combat, LeavesUnseenSitesAloneNamesThemAndRoundTrips) {
  core::Rng rng(9);
  const auto effects = draw_effects(rng, 3, 6);
  const auto train = draw(rng, effects, 60);
  Combat combat;
  combat.fit(train.values, train.sites);
  Eigen::MatrixXd probe = train.values.topRows(4);
  std::vector<std::string> sites{"S0", "NEW", "S2", "NEW"}, unharmonised;
  const auto out = combat.apply(probe, sites, &unharmonised);
  EXPECT_EQ(unharmonised, std::vector<std::string>{"NEW"});
  EXPECT_EQ(out.row(1), probe.row(1));
  EXPECT_NE(out.row(0), probe.row(0));
  const auto loaded = Combat::load(nlohmann::json::parse(combat.save().dump()));
  EXPECT_LT((loaded.apply(probe, sites) - out).cwiseAbs().maxCoeff(), 1e-12);
  // A subset of features is harmonised exactly as within the whole.
  const auto part = combat.subset({4, 1});
  Eigen::MatrixXd columns(4, 2);
  columns << probe.col(4), probe.col(1);
  const auto sub = part.apply(columns, sites);
  EXPECT_LT((sub.col(0) - out.col(4)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((sub.col(1) - out.col(1)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_THROW(combat.fit(Eigen::MatrixXd::Constant(3, 2, NAN), {"a", "b", "c"}), core::Error);
}

// Inside a fold: ComBat sees the training rows only — changing the held-out rows changes nothing
// the preprocessor learned, and its bundle state reproduces its output.
TEST(Combat, InTheFoldPreprocessingLearnsFromTrainingRowsOnly) {
  core::Rng rng(4);
  const auto effects = draw_effects(rng, 3, 8);
  const auto data = draw(rng, effects, 120);
  FeatureBlock block{"mri", {}, data.values, std::vector<bool>(120, true), {}};
  for (int g = 0; g < 8; ++g) block.columns.push_back("f" + std::to_string(g));
  block.values(5, 2) = NAN;  // a missing value, imputed before ComBat
  std::vector<size_t> train, test;
  for (size_t i = 0; i < 120; ++i) (i % 4 == 0 ? test : train).push_back(i);
  BlockPreprocessor a, b;
  a.fit(block, train, data.labels, {4, "anova", 0, 0.02}, true, &data.sites);
  auto changed = block;
  for (size_t i : test) changed.values.row(static_cast<Eigen::Index>(i)).array() += 100;
  b.fit(changed, train, data.labels, {4, "anova", 0, 0.02}, true, &data.sites);
  EXPECT_EQ(a.selected_names(), b.selected_names());
  EXPECT_EQ(a.apply(block, train, &data.sites), b.apply(block, train, &data.sites));
  EXPECT_TRUE(a.harmonised() && a.harmonises("S1") && !a.harmonises("S9"));
  auto loaded = BlockPreprocessor::load(nlohmann::json::parse(a.save().dump()));
  loaded.bind(block);
  EXPECT_LT((loaded.apply(block, test, &data.sites) - a.apply(block, test, &data.sites)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_TRUE(a.apply(block, train, &data.sites).allFinite());
}

}  // namespace
}  // namespace vbiopsy::experiments
