#include "modalities/mri/tofts.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"

namespace vbiopsy::modalities::mri {
namespace {

std::vector<double> every(double step, double until) {
  std::vector<double> t;
  for (double x = 0; x <= until + 1e-9; x += step) t.push_back(x);
  return t;
}

TEST(Tofts, ParkerAifHasItsFirstPassPeakAndRecirculation) {
  // Blood concentration peaks near 0.17 min after injection at about 6 mM, then ~1-2 mM.
  double peak = 0, peak_t = 0;
  for (double t = 0; t < 60; t += 0.1)
    if (parker_blood_aif(t) > peak) peak = parker_blood_aif(t), peak_t = t;
  EXPECT_NEAR(peak_t, 0.17046 * 60, 1.0);
  EXPECT_GT(peak, 5.0);
  EXPECT_LT(peak, 7.0);
  EXPECT_NEAR(parker_blood_aif(300), 1.050 * std::exp(-0.1685 * 5), 0.05);
  EXPECT_EQ(parker_blood_aif(-1), 0.0);
}

TEST(Tofts, SignalAndConcentrationConvertBothWays) {
  AcquisitionAssumptions a;
  for (double c : {0.0, 0.1, 0.5, 1.5})
    EXPECT_NEAR(signal_to_concentration(concentration_to_signal(c, 400, a), 400, a), c, 1e-9);
  EXPECT_TRUE(std::isnan(signal_to_concentration(1e9, 400, a)));  // no T1 gives this signal
}

TEST(Tofts, RecoversKtransKepAndVpWithinFivePercentOnNoiseFreeCurves) {
  const AcquisitionAssumptions a;
  const auto times = every(10, 360);
  for (bool extended : {false, true}) {
    const ToftsModel model(times, parker_plasma_aif(a), extended);
    for (auto [ktrans, kep, vp] :
         {std::tuple{0.25, 0.6, 0.05}, std::tuple{0.8, 2.0, 0.02}, std::tuple{0.05, 0.3, 0.1}}) {
      const double v = extended ? vp : 0.0;
      const ToftsFit fit = model.fit(model.curve(ktrans, kep, v));
      ASSERT_TRUE(fit.ok);
      EXPECT_NEAR(fit.ktrans, ktrans, 0.05 * ktrans) << extended;
      EXPECT_NEAR(fit.kep, kep, 0.05 * kep) << extended;
      if (extended) {
        EXPECT_NEAR(fit.vp, vp, 0.05 * vp);
      }
      EXPECT_NEAR(fit.ve, ktrans / kep, 0.05 * ktrans / kep);
    }
  }
}

TEST(Tofts, StaysFiniteOnFlatAndNoisyCurvesOverSeveralSeeds) {
  const AcquisitionAssumptions a;
  const ToftsModel model({0, 60, 120, 180, 240, 300}, parker_plasma_aif(a), true);
  const ToftsFit flat = model.fit({0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(flat.ok);
  EXPECT_EQ(flat.ktrans, 0.0);
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    core::Rng rng(seed);
    std::vector<double> noisy(6);
    for (auto& x : noisy) x = rng.normal(0.1, 0.2);
    const ToftsFit fit = model.fit(noisy);
    EXPECT_TRUE(fit.ok);
    EXPECT_TRUE(std::isfinite(fit.ktrans) && std::isfinite(fit.kep) && std::isfinite(fit.vp) && std::isfinite(fit.ve));
    EXPECT_GE(fit.ktrans, 0.0);
    EXPECT_GE(fit.vp, 0.0);
  }
  EXPECT_FALSE(model.fit({0, NAN, 0, 0, 0, 0}).ok);  // a failed conversion is a failed fit
}

TEST(Tofts, MapsFlagAndCountTheVoxelsThatCannotBeFitted) {
  const AcquisitionAssumptions a;
  const std::vector<double> times = every(20, 300);
  core::Geometry g;
  g.size = {2, 1, 1};
  const ToftsModel model(times, parker_plasma_aif(a), false);
  const auto c = model.curve(0.3, 0.7, 0);
  std::vector<core::Image> phases;
  for (size_t p = 0; p < times.size(); ++p) {
    core::Image phase(g);
    phase.voxels = {float(concentration_to_signal(c[p], 400, a)), p == 0 ? 0.0f : 500.0f};  // voxel 2: S0 = 0
    phases.push_back(phase);
  }
  core::Mask mask(g, 1);
  const ToftsMaps maps = fit_tofts_maps(phases, times, mask, a, false);
  EXPECT_EQ(maps.fitted_voxels, 1u);
  EXPECT_EQ(maps.failed_voxels, 1u);
  EXPECT_EQ(maps.failed.voxels[1], 1);
  EXPECT_NEAR(maps.ktrans.voxels[0], 0.3, 0.015);
}

}  // namespace
}  // namespace vbiopsy::modalities::mri
