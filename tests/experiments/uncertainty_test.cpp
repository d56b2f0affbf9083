// A prediction's uncertainty: calibration and conformal prediction sets (the maths against analytic
// cases, the guarantee over several seeds, bundles that carry them, a run that fits them on
// training cases only) and the out-of-distribution check of new cases.
#include "experiments/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/csv.h"
#include "core/error.h"
#include "core/random.h"
#include "experiments/fitted_model.h"
#include "experiments/model_card.h"
#include "experiments/ood.h"
#include "experiments/runner.h"
#include "experiments/statistics/coverage.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

// Cases whose true class probabilities are softmax(z) and a model that reports softmax(sharpness z):
// over-confident for sharpness > 1, so temperature scaling should find T = sharpness.
struct Sample {
  Probabilities model;
  std::vector<int> labels;
};

Sample overconfident(size_t n, double sharpness, uint64_t seed) {
  core::Rng rng(seed);
  Sample out;
  for (size_t i = 0; i < n; ++i) {
    std::array<double, kClasses> z{}, truth{}, model{};
    for (auto& v : z) v = 1.2 * rng.normal();
    double st = 0, sm = 0;
    for (int k = 0; k < kClasses; ++k) {
      st += truth[k] = std::exp(z[k]);
      sm += model[k] = std::exp(sharpness * z[k]);
    }
    const double u = rng.uniform() * st;
    int y = 0;
    for (double acc = truth[0]; acc < u && y < kClasses - 1;) acc += truth[++y];
    for (auto& v : model) v /= sm;
    out.model.push_back(model);
    out.labels.push_back(y);
  }
  return out;
}

double ece_of(const Probabilities& p, const std::vector<int>& labels) {
  return expected_calibration_error({labels, p});
}

TEST(Calibration, TemperatureRecoversTheSharpnessOfAnOverconfidentModel) {
  for (uint64_t seed : {1, 2, 3}) {
    const auto fit = overconfident(4000, 2.5, seed);
    const auto calibrator = Calibrator::fit("temperature", fit.model, fit.labels);
    EXPECT_NEAR(calibrator.temperature, 2.5, 0.25) << seed;
  }
}

TEST(Calibration, EveryMethodLowersTheCalibrationErrorOnNewCases) {
  for (uint64_t seed : {4, 5, 6})
    for (const std::string method : {"temperature", "platt", "isotonic"}) {
      const auto fit = overconfident(3000, 2.5, seed), test = overconfident(3000, 2.5, seed + 100);
      const auto calibrator = Calibrator::fit(method, fit.model, fit.labels);
      Probabilities calibrated;
      for (const auto& p : test.model) {
        calibrated.push_back(calibrator.apply(p));
        EXPECT_NEAR(calibrated.back()[0] + calibrated.back()[1] + calibrated.back()[2], 1.0, 1e-12);
      }
      const double before = ece_of(test.model, test.labels), after = ece_of(calibrated, test.labels);
      EXPECT_GT(before, 0.08) << method;
      EXPECT_LT(after, before / 2) << method << " seed " << seed;
      // Saved and loaded, the same map.
      const auto loaded = Calibrator::load(nlohmann::json::parse(calibrator.save().dump()));
      for (size_t i = 0; i < 20; ++i) EXPECT_EQ(loaded.apply(test.model[i]), calibrated[i]) << method;
    }
}

TEST(Calibration, IsotonicIsPoolAdjacentViolatorsInterpolatedLinearly) {
  // One-vs-rest for class 0: x = p_0, y = [label == 0]. Points (0.1,1) (0.2,0) pool to 0.5; then 0.3 -> 1, 0.4 -> 1.
  const Probabilities p = {{0.1, 0.45, 0.45}, {0.2, 0.4, 0.4}, {0.3, 0.35, 0.35}, {0.4, 0.3, 0.3}};
  const auto calibrator = Calibrator::fit("isotonic", p, {0, 1, 0, 0});
  const std::vector<std::pair<double, double>> expected = {{0.1, 0.5}, {0.2, 0.5}, {0.3, 1.0}, {0.4, 1.0}};
  EXPECT_EQ(calibrator.isotonic[0], expected);
  // Class 1: y = 0,1,0,0 at x = 0.45,0.4,0.35,0.3 -> sorted (0.3,0) (0.35,0) (0.4,1) (0.45,0): the last two pool to
  // 0.5.
  const std::vector<std::pair<double, double>> class1 = {{0.3, 0.0}, {0.35, 0.0}, {0.4, 0.5}, {0.45, 0.5}};
  EXPECT_EQ(calibrator.isotonic[1], class1);
}

TEST(Calibration, EditedStatesAreRefused) {
  EXPECT_THROW(Calibrator::load(nlohmann::json::parse(R"({"method": "temperature", "temperature": -1})")), core::Error);
  EXPECT_THROW(Calibrator::load(nlohmann::json::parse(R"({"method": "platt", "platt": [[1, 2]]})")), core::Error);
  EXPECT_THROW(Calibrator::load(nlohmann::json::parse(
                   R"({"method": "isotonic", "isotonic": [[[0.5, 0.2], [0.4, 0.3]], [[0, 0]], [[0, 0]]]})")),
               core::Error);
  EXPECT_THROW(Calibrator::load(nlohmann::json::parse(R"({"method": "magic"})")), core::Error);
  EXPECT_THROW(ConformalSets::load(
                   nlohmann::json::parse(R"({"alpha": 1.5, "thresholds": [1, 1, 1], "calibration_cases": [1, 1, 1]})")),
               core::Error);
}

// Mondrian split conformal: within each true class, coverage >= 1 - alpha on exchangeable cases
// (and not far above it: at most 1 - alpha + 1 / (n_k + 1) in expectation).
TEST(Conformal, SetsCoverEachClassAtTheRequestedRateOverSeeds) {
  for (double alpha : {0.1, 0.2})
    for (uint64_t seed : {11, 12, 13, 14, 15}) {
      const auto calibration = overconfident(900, 2.0, seed), test = overconfident(6000, 2.0, seed + 1000);
      const auto sets = ConformalSets::fit(alpha, calibration.model, calibration.labels);
      std::vector<unsigned> predicted;
      for (const auto& p : test.model) predicted.push_back(sets.set_of(p));
      const auto summary = summarise_sets(test.labels, predicted);
      for (int k = 0; k < kClasses; ++k) {
        EXPECT_GT(summary.class_coverage[k].estimate, 1 - alpha - 0.035)
            << "alpha " << alpha << " seed " << seed << " class " << k;
        EXPECT_LT(summary.class_coverage[k].estimate, 1 - alpha + 0.05)
            << "alpha " << alpha << " seed " << seed << " class " << k;
      }
      EXPECT_GT(summary.mean_size.estimate, 1.0);  // uncertain cases get more than one class
      EXPECT_LT(summary.mean_size.estimate, 3.0);
    }
}

TEST(Conformal, ThresholdIsTheRankedScoreOfEachClass) {
  // Class 0 scores 1 - p_0: 0.1, 0.2, ..., 0.9 (9 cases); alpha 0.2 -> rank ceil(10 * 0.8) = 8 -> 0.8.
  Probabilities p;
  std::vector<int> labels;
  for (int i = 1; i <= 9; ++i) {
    p.push_back({1 - i / 10.0, i / 20.0, i / 20.0});
    labels.push_back(0);
  }
  p.push_back({0.2, 0.7, 0.1});  // one case of class 1: rank ceil(2 * 0.8) = 2 > 1 -> always in the set
  labels.push_back(1);
  const auto sets = ConformalSets::fit(0.2, p, labels);
  EXPECT_NEAR(sets.thresholds[0], 0.8, 1e-12);
  EXPECT_EQ(sets.thresholds[1], 1.0);
  EXPECT_EQ(sets.thresholds[2], 1.0);  // no calibration case: always in the set
  EXPECT_EQ(sets.set_of({0.25, 0.5, 0.25}), 0b111u);
  EXPECT_EQ(sets.set_of({0.15, 0.5, 0.35}), 0b110u);  // 1 - 0.15 = 0.85 > 0.8
  EXPECT_EQ(set_text(0b110u), "low|positive");
  EXPECT_EQ(set_description(0b110u), "HER2-low or HER2-positive");
  EXPECT_EQ(parse_set_text("low|positive"), 0b110u);
  EXPECT_EQ(set_description(0), "no class");
  EXPECT_THROW(parse_set_text("low|high"), core::Error);
}

TEST(Coverage, WilsonIntervalMatchesItsClosedForm) {
  // 45 of 50: p = 0.9; Wilson 95% = (0.7864, 0.9565) (R: prop.test(45, 50, correct = FALSE)$conf.int).
  const auto i = wilson_interval(45, 50);
  EXPECT_NEAR(i.estimate, 0.9, 1e-12);
  EXPECT_NEAR(i.lower, 0.7864, 5e-4);
  EXPECT_NEAR(i.upper, 0.9565, 5e-4);
}

// The calibration and the conformal sets are fitted on training cases only: the labels of the
// cases a model is then tested on change nothing of it.
TEST(Calibration, IsFittedOnTrainingCasesOnly) {
  const SmallCohort cohort("calibration_leak", 120, 41);
  auto config = read_experiment_config(
      cohort.config("subsets = mri+mg\nfusion = logistic\n[calibration]\nmethod = platt\nholdout = 0.3"));
  const auto reading = datasets::read_cohort(config.manifest);
  const auto table =
      build_feature_table(reading.cohort, core::read_csv(config.features), config.modalities, config.column_prefixes);
  std::vector<size_t> train, test;
  for (size_t i = 0; i < table.size(); ++i) (i % 4 == 0 ? test : train).push_back(i);
  auto other_labels = table.labels;
  for (size_t i : test) other_labels[i] = (other_labels[i] + 1) % kClasses;
  const auto a = FittedModel::fit(config, table, table.labels, "logistic", {"mri", "mg"}, train, 9);
  const auto b = FittedModel::fit(config, table, other_labels, "logistic", {"mri", "mg"}, train, 9);
  EXPECT_EQ(a.calibrator().save().dump(), b.calibrator().save().dump());
  EXPECT_EQ(a.conformal().save().dump(), b.conformal().save().dump());
  const auto pa = a.predict(table, test), pb = b.predict(table, test);
  EXPECT_EQ(pa.probabilities, pb.probabilities);
  EXPECT_EQ(pa.sets, pb.sets);
  // And they are used: calibrated probabilities differ from the model's own.
  EXPECT_GT((pa.probabilities - pa.uncalibrated).cwiseAbs().maxCoeff(), 1e-3);
  ASSERT_EQ(pa.sets.size(), test.size());
}

TEST(Calibration, ARunReportsCoverageAndCalibrationAndExportsThem) {
  for (uint64_t seed : {51, 52, 53}) {
    const SmallCohort cohort("calibration_run_" + std::to_string(seed), 300, seed);
    const auto config =
        read_experiment_config(cohort.config("subsets = mri+mg+us\nfusion = logistic\nexport = "
                                             "best\n[calibration]\nmethod = temperature\nholdout = 0.3\nalpha = 0.1"));
    std::ostringstream log;
    run_experiment(config, cohort.dir / "run", log);
    const auto predictions = core::read_csv(cohort.dir / "run" / "predictions.csv");
    ASSERT_EQ(predictions.header.back(), "prediction_set");
    size_t covered = 0;
    for (const auto& row : predictions.rows)
      covered += (parse_set_text(row.back()) & parse_set_text(row[5])) != 0;  // row[5]: the true class
    const double coverage = static_cast<double>(covered) / static_cast<double>(predictions.rows.size());
    const auto metrics = nlohmann::json::parse(core::read_text_file(cohort.dir / "run" / "metrics.json"));
    const auto& conformal = metrics.at("logistic[mg+mri+us]").at("conformal");
    EXPECT_NEAR(conformal.at("coverage").at("estimate").get<double>(), coverage, 1e-12);
    EXPECT_NEAR(coverage, 0.9, 0.07) << seed;
    EXPECT_GT(conformal.at("mean_set_size").at("estimate").get<double>(), 1.0);
    EXPECT_TRUE(metrics.at("logistic[mg+mri+us]").at("calibration").contains("ece_uncalibrated"));
    // The exported model carries both, and predicts a set.
    const auto folder = cohort.dir / "run" / "models" / "logistic_mg_mri_us";
    auto loaded = FittedModel::load(folder);
    EXPECT_EQ(loaded.calibrator().method, "temperature");
    EXPECT_NEAR(loaded.conformal().alpha, 0.1, 1e-12);
    // Its model card: what it was trained on, per class, and how it did per subset of its modalities.
    const auto card = read_model_card(folder);
    EXPECT_EQ(card["training_data"]["cases"], 300);
    EXPECT_EQ(card["training_data"]["per_class"]["zero"].get<long>() +
                  card["training_data"]["per_class"]["low"].get<long>() +
                  card["training_data"]["per_class"]["positive"].get<long>(),
              300);
    EXPECT_FALSE(card["training_data"]["synthetic"].get<bool>());
    EXPECT_TRUE(card["cross_validated"]["by_modalities"].contains("mri+mg"));
    EXPECT_EQ(card["calibration"]["method"], "temperature");
    const auto text = model_card_text(card);
    EXPECT_NE(text.find("Intended use"), std::string::npos);
    EXPECT_NE(text.find("Known limits"), std::string::npos);
  }
}

// Gaussian training cases: about 1% of new cases from the same distribution exceed the threshold
// (it is the 99th percentile of out-of-fold distances); a case shifted far along one feature does.
TEST(OutOfDistribution, FalseAlarmsAtAboutOnePercentAndAShiftedCaseIsFlagged) {
  for (uint64_t seed : {61, 62, 63}) {
    core::Rng rng(seed);
    auto gaussian = [&](Eigen::Index n) {
      Eigen::MatrixXd z(n, 8);
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < 8; ++j) z(i, j) = rng.normal() + (j > 0 ? 0.5 * z(i, j - 1) : 0.0);
      return z;
    };
    const auto ood = OutOfDistribution::fit(gaussian(300));
    ASSERT_TRUE(ood.fitted());
    const auto fresh = gaussian(4000);
    int alarms = 0;
    for (Eigen::Index i = 0; i < fresh.rows(); ++i) alarms += ood.distance(fresh.row(i)) > ood.threshold();
    EXPECT_GT(alarms / 4000.0, 0.002) << seed;
    EXPECT_LT(alarms / 4000.0, 0.035) << seed;
    Eigen::RowVectorXd shifted = fresh.row(0);
    shifted(3) += 8;
    EXPECT_GT(ood.distance(shifted), ood.threshold()) << seed;
    // Saved and loaded: the same distances.
    const auto loaded = OutOfDistribution::load(nlohmann::json::parse(ood.save().dump()), 8);
    EXPECT_NEAR(loaded.distance(fresh.row(1)), ood.distance(fresh.row(1)), 1e-9);
    EXPECT_THROW(OutOfDistribution::load(nlohmann::json::parse(ood.save().dump()), 7), core::Error);
  }
  EXPECT_FALSE(OutOfDistribution::fit(Eigen::MatrixXd::Zero(5, 3)).fitted());  // too few cases
}

// Through a fitted model: ordinary held-out cases are rarely called far; a case whose features are
// pushed 40 SD out is, with the clipped and out-of-range features named.
TEST(OutOfDistribution, AFittedModelNamesWhatIsUnusualAboutACase) {
  const SmallCohort cohort("ood", 240, 71);
  const auto config = read_experiment_config(cohort.config("subsets = mri+mg\nfusion = logistic"));
  const auto reading = datasets::read_cohort(config.manifest);
  auto table =
      build_feature_table(reading.cohort, core::read_csv(config.features), config.modalities, config.column_prefixes);
  std::vector<size_t> train, test;
  for (size_t i = 0; i < table.size(); ++i) (i % 4 == 0 ? test : train).push_back(i);
  const auto model = FittedModel::fit(config, table, table.labels, "logistic", {"mri", "mg"}, train, 3);
  int far = 0, measured = 0;
  for (size_t i : test)
    for (const auto& a : model.atypicality(table, i))
      if (!std::isnan(a.distance)) {
        ++measured;
        far += a.far();
      }
  EXPECT_GT(measured, 100);
  EXPECT_LT(static_cast<double>(far) / measured, 0.06);
  auto& mri = table.blocks[0];
  ASSERT_EQ(mri.modality, "mri");
  size_t row = test[0];
  while (!mri.present[row]) ++row;
  mri.values(static_cast<Eigen::Index>(row), 0) += 40;  // mri_signal, 40 training SDs out
  const auto a = model.atypicality(table, row)[0];
  EXPECT_TRUE(a.far());
  EXPECT_EQ(a.clipped, std::vector<std::string>{"mri_signal"});
  EXPECT_EQ(a.beyond_range, std::vector<std::string>{"mri_signal"});
}

}  // namespace
}  // namespace vbiopsy::experiments
