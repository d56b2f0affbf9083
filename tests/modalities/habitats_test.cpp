#include "modalities/mri/habitats.h"

#include <gtest/gtest.h>

#include "core/random.h"
#include "datasets/synth.h"
#include "core/error.h"
#include "modalities/mri/clustering.h"
#include "modalities/mri/kinetics.h"

namespace vbiopsy::modalities::mri {
namespace {

TEST(Clustering, KMeansFindsSeparatedBlobsAndCalinskiHarabaszPicksTheirNumber) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    core::Rng rng(seed);
    const double centres[3][2] = {{0, 0}, {8, 0}, {0, 8}};
    Eigen::MatrixXd points(150, 2);
    std::vector<int> truth;
    for (int i = 0; i < 150; ++i) {
      points(i, 0) = centres[i % 3][0] + rng.normal();
      points(i, 1) = centres[i % 3][1] + rng.normal();
      truth.push_back(i % 3);
    }
    double best = -1;
    int best_k = 0;
    for (int k = 2; k <= 6; ++k) {
      const auto r = kmeans(points, k, seed);
      const double ch = calinski_harabasz(points, r);
      if (ch > best) best = ch, best_k = k;
      if (k == 3) {
        EXPECT_NEAR(adjusted_rand_index(truth, r.labels), 1.0, 1e-12);
      }
    }
    EXPECT_EQ(best_k, 3);
  }
}

TEST(Clustering, AdjustedRandIndexIgnoresLabelNamesAndIsZeroForUnrelatedLabels) {
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1, 2, 2}, {5, 5, 3, 3, 9, 9}), 1.0);
  core::Rng rng(4);
  std::vector<int> a, b;
  for (int i = 0; i < 4000; ++i) {
    a.push_back(int(rng.below(3)));
    b.push_back(int(rng.below(3)));
  }
  EXPECT_NEAR(adjusted_rand_index(a, b), 0.0, 0.02);
}

// Voxel features of synthetic cases (wash-in, wash-out, SER, ADC) and their planted habitats.
struct Cohort {
  std::vector<CaseVoxels> cases;
  std::vector<core::Mask> planted;
};

Cohort synthetic_cohort(uint64_t seed, size_t n) {
  datasets::SynthOptions o;
  o.seed = seed;
  o.missing_mri = 0;
  Cohort cohort;
  for (size_t i = 0; i < n; ++i) {
    const datasets::SynthCase sc = datasets::generate_case(o, i);
    const KineticMaps maps = compute_kinetics(sc.dce, sc.dce_times_s);
    const AdcMap adc = fit_adc(sc.dwi, sc.dwi_b_values);
    cohort.cases.push_back(
        case_voxels(sc.record.case_id, {&maps.wash_in, &maps.wash_out, &maps.ser, &adc.adc}, sc.tumour));
    cohort.planted.push_back(sc.habitats);
  }
  return cohort;
}

double mean_ari(const std::vector<core::Mask>& found, const Cohort& cohort, const std::vector<size_t>& test) {
  double sum = 0;
  for (size_t t = 0; t < test.size(); ++t) {
    std::vector<int> a, b;
    for (size_t v : cohort.cases[test[t]].voxels) {
      a.push_back(found[t].voxels[v]);
      b.push_back(cohort.planted[test[t]].voxels[v]);
    }
    sum += adjusted_rand_index(a, b);
  }
  return sum / double(test.size());
}

TEST(Habitats, RecoverThePlantedHabitatsOfUnseenCases) {
  for (uint64_t seed : {11ull, 12ull, 13ull}) {
    const Cohort cohort = synthetic_cohort(seed, 12);
    HabitatOptions options;
    options.seed = seed;
    HabitatModel model;
    const std::vector<size_t> train = {0, 1, 2, 3, 4, 5, 6, 7}, test = {8, 9, 10, 11};
    const auto found = habitats_for_fold(cohort.cases, train, test, options, &model);
    EXPECT_EQ(model.habitats(), 3) << "seed " << seed;  // chosen over 2-6, not fixed
    EXPECT_GE(mean_ari(found, cohort, test), 0.8) << "seed " << seed;
  }
}

TEST(Habitats, TheFoldModelNeverSeesItsTestCases) {
  Cohort cohort = synthetic_cohort(21, 10);
  HabitatOptions options;
  options.fixed_habitats = 3;
  const std::vector<size_t> train = {0, 1, 2, 3, 4, 5}, test = {6, 7, 8, 9};
  HabitatModel model;
  const auto before = habitats_for_fold(cohort.cases, train, test, options, &model);
  EXPECT_EQ(model.training_case_ids,
            (std::vector<std::string>{"SYN0001", "SYN0002", "SYN0003", "SYN0004", "SYN0005", "SYN0006"}));
  // Distort one test case beyond recognition: had it been used for fitting, the standardisation and
  // the habitats of the other test cases would move.
  cohort.cases[9].features *= 50.0;
  const auto after = habitats_for_fold(cohort.cases, train, test, options);
  for (size_t t = 0; t < 3; ++t) EXPECT_EQ(before[t].voxels, after[t].voxels) << "test case " << t;
  // The same distortion inside the training part does change them: the check above can fail.
  std::vector<size_t> leaky_train = train;
  leaky_train.push_back(9);
  const auto leaky = habitats_for_fold(cohort.cases, leaky_train, {6, 7, 8}, options);
  bool changed = false;
  for (size_t t = 0; t < 3; ++t) changed = changed || leaky[t].voxels != before[t].voxels;
  EXPECT_TRUE(changed);
  EXPECT_THROW(habitats_for_fold(cohort.cases, {0, 1, 6}, {6}, options), core::Error);
}

}  // namespace
}  // namespace vbiopsy::modalities::mri
