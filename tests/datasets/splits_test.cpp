#include "datasets/splits.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace vbiopsy::datasets {
namespace {

TEST(StratifiedFolds, EveryFoldHoldsEveryClassAndTheSeedFixesThem) {
  const std::vector<int64_t> labels{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};
  const auto fold = stratified_folds(labels, 3, 1);
  for (int f = 0; f < 3; ++f)
    for (int64_t k = 0; k < 3; ++k) {
      int count = 0;
      for (size_t i = 0; i < labels.size(); ++i) count += fold[i] == f && labels[i] == k;
      EXPECT_GE(count, 1);
    }
  EXPECT_EQ(fold, stratified_folds(labels, 3, 1));
  EXPECT_THROW(stratified_folds(labels, 1, 1), core::Error);
  EXPECT_THROW(stratified_folds({0, 3}, 2, 1), core::Error);  // not a HER2 class
}

TEST(PatientFolds, KeepAPatientsCasesTogetherAndStratify) {
  std::vector<std::string> patients;
  std::vector<int> labels;
  for (int i = 0; i < 60; ++i) {
    patients.push_back("P" + std::to_string(i / 2));
    labels.push_back((i / 2) % 3);
  }
  const auto folds = patient_folds(patients, labels, 5, 9);
  for (int i = 0; i < 60; i += 2) EXPECT_EQ(folds[i], folds[i + 1]);
  for (int f = 0; f < 5; ++f)
    for (int k = 0; k < 3; ++k) {
      int count = 0;
      for (int i = 0; i < 60; ++i) count += folds[i] == f && labels[i] == k;
      EXPECT_EQ(count, 4) << "fold " << f << " class " << k;
    }
}

TEST(SiteFolds, OneFoldPerSiteOrTheTestSitesOnce) {
  const std::vector<std::string> sites{"B", "A", "C", "A", "B"};
  const auto [fold, count] = leave_one_site_out_folds(sites);
  EXPECT_EQ(count, 3);
  EXPECT_EQ(fold, (std::vector<int>{1, 0, 2, 0, 1}));
  EXPECT_THROW(leave_one_site_out_folds({"A", "A"}), core::Error);
  const auto [test, one] = test_site_folds(sites, {"C", "B"});
  EXPECT_EQ(one, 1);
  EXPECT_EQ(test, (std::vector<int>{0, -1, 0, -1, 0}));
  EXPECT_THROW(test_site_folds(sites, {"Z"}), core::Error);
  EXPECT_THROW(test_site_folds(sites, {"A", "B", "C"}), core::Error);
}

}  // namespace
}  // namespace vbiopsy::datasets
