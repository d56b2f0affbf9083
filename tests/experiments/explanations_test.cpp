// Per-feature Shapley values of a prediction: they add up to the prediction, and they point at the
// features that carry the class.
#include "experiments/explanations.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/csv.h"
#include "datasets/manifest.h"
#include "experiments/runner.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

TEST(Explanations, ShapleyValuesAddUpToThePredictionAndFindThePlantedSignal) {
  const SmallCohort cohort("explanations", 150, 81);  // each modality: one signal column, four noise columns
  const auto config = read_experiment_config(cohort.config("subsets = mri+mg\nfusion = logistic,early,xgboost"));
  const auto reading = datasets::read_cohort(config.manifest);
  const auto table =
      build_feature_table(reading.cohort, core::read_csv(config.features), config.modalities, config.column_prefixes);
  std::vector<size_t> train, test;
  for (size_t i = 0; i < table.size(); ++i) (i % 5 == 0 ? test : train).push_back(i);
  for (const std::string method : {"logistic", "early", "xgboost"}) {
    const auto model = FittedModel::fit(config, table, table.labels, method, {"mri", "mg"}, train, 4);
    int signal_first = 0, explained = 0;
    for (size_t row : test) {
      for (uint64_t seed : {1, 2}) {
        const auto e = explain_case(model, table, row, 8, seed);
        for (int k = 0; k < kClasses; ++k) {
          double sum = e.base[k];
          for (const auto& f : e.features) sum += f.shapley[k];
          EXPECT_NEAR(sum, e.output[k], 1e-9) << method << " row " << row << " class " << k;
        }
      }
      const auto e = explain_case(model, table, row, 8, 1);
      // Logistic and xgboost values are exact, of their margins: the softmax is the model's probability.
      EXPECT_EQ(e.permutations, method == "early" ? 8 : 0) << e.method;
      const auto p = model.predict(table, {row}).uncalibrated;
      if (method != "early") {
        const double norm = std::exp(e.output[0]) + std::exp(e.output[1]) + std::exp(e.output[2]);
        for (int k = 0; k < kClasses; ++k)
          EXPECT_NEAR(std::exp(e.output[k]) / norm, p(0, k), method == "logistic" ? 1e-9 : 1e-5);
      } else {
        for (int k = 0; k < kClasses; ++k) EXPECT_NEAR(e.output[k], p(0, k), 1e-12);
      }
      if (e.features.empty()) continue;
      ++explained;
      // The feature with the largest attribution to the predicted class carries the signal.
      int predicted = 0;
      for (int k = 1; k < kClasses; ++k)
        if (e.output[k] > e.output[predicted]) predicted = k;
      const auto top = std::max_element(e.features.begin(), e.features.end(),
                                        [&](const FeatureAttribution& a, const FeatureAttribution& b) {
                                          return std::abs(a.shapley[predicted]) < std::abs(b.shapley[predicted]);
                                        });
      signal_first += top->feature.find("_signal") != std::string::npos;
    }
    EXPECT_GT(explained, 25);
    // Globally too: the signal columns (one per modality) are the two most important features.
    const auto global = global_importances(model, table, test, 4, 1);
    ASSERT_GE(global.features.size(), 2u);
    for (size_t i = 0; i < 2; ++i)
      EXPECT_NE(global.features[i].feature.find("_signal"), std::string::npos)
          << method << " " << global.features[i].feature;
    EXPECT_GT(static_cast<double>(signal_first) / explained, 0.7) << method;
    // The CSV lists base and output first, then every feature.
    const auto csv = explanation_csv(explain_case(model, table, test[0], 4, 1), 0);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'),
              3 + static_cast<long>(explain_case(model, table, test[0], 4, 1).features.size()));
  }
}

}  // namespace
}  // namespace vbiopsy::experiments
