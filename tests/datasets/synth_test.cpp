#include "datasets/synth.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vbiopsy::datasets {
namespace {

SynthOptions small(uint64_t seed) {
  SynthOptions o;
  o.seed = seed;
  o.cases = 12;
  return o;
}

TEST(Synth, SameSeedGivesTheSameCaseAndAnotherSeedDoesNot) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    SynthCase a = generate_case(small(seed), 4), b = generate_case(small(seed), 4);
    SynthCase c = generate_case(small(seed + 100), 4);
    EXPECT_EQ(a.truth, b.truth);
    EXPECT_EQ(a.latent, b.latent);
    if (a.has_mri) {
      EXPECT_EQ(a.dce.back().voxels, b.dce.back().voxels);
      EXPECT_EQ(a.habitats.voxels, b.habitats.voxels);
    }
    EXPECT_NE(a.latent, c.latent);
  }
}

TEST(Synth, HabitatsFillTheTumourAndDceHasAPreAndFivePostPhases) {
  for (size_t i = 0; i < 6; ++i) {
    SynthOptions o = small(11);
    o.missing_mri = 0;
    SynthCase sc = generate_case(o, i);
    ASSERT_TRUE(sc.has_mri);
    EXPECT_GE(sc.dce.size(), 6u);
    EXPECT_EQ(sc.dce.size(), sc.dce_times_s.size());
    EXPECT_EQ(sc.dwi_b_values.size(), 2u);
    size_t tumour = 0, mismatched = 0;
    for (size_t v = 0; v < sc.tumour.voxels.size(); ++v) {
      tumour += sc.tumour.voxels[v];
      mismatched += (sc.tumour.voxels[v] != 0) != (sc.habitats.voxels[v] != 0);
    }
    EXPECT_GT(tumour, 50u);
    EXPECT_EQ(mismatched, 0u);
  }
}

TEST(Synth, ClassPrevalenceAndModalityEffectsFollowTheOptions) {
  for (uint64_t seed : {5ull, 6ull}) {
    SynthOptions o;
    o.seed = seed;
    size_t counts[3] = {0, 0, 0};
    double mri_sum[3] = {0, 0, 0}, us_sum[3] = {0, 0, 0};
    const size_t n = 1500;
    for (size_t i = 0; i < n; ++i) {
      SynthCase sc = plan_case(o, i);  // labels and latents only: fast
      const int k = static_cast<int>(sc.truth);
      ++counts[k];
      mri_sum[k] += sc.latent["mri"];
      us_sum[k] += sc.latent["us"];
      if (sc.record.label.her2) {
        EXPECT_EQ(*sc.record.label.her2, sc.truth);
      }  // IHC/ISH agree with the class
    }
    EXPECT_NEAR(counts[0] / double(n), 0.2, 0.03);
    EXPECT_NEAR(counts[1] / double(n), 0.5, 0.04);
    EXPECT_NEAR(counts[2] / double(n), 0.3, 0.04);
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(mri_sum[k] / counts[k], kMriContrast[k], 0.2);
      EXPECT_NEAR(us_sum[k] / counts[k], kUsContrast[k], 0.2);
    }
  }
}

}  // namespace
}  // namespace vbiopsy::datasets
