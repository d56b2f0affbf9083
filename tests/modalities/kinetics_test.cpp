#include "modalities/mri/kinetics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/random.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities::mri {
namespace {

const std::vector<double> kTimes = {0, 60, 120, 180, 240, 300};

TEST(Kinetics, CurveValuesEqualTheirDefinitionsOnAPiecewiseLinearCurve) {
  // S0 = 100, then 200, 250, 240, 230, 220: RE = 1, 1.5, 1.4, 1.3, 1.2
  const auto k = curve_kinetics({100, 200, 250, 240, 230, 220}, kTimes);
  EXPECT_DOUBLE_EQ(k.pe, 1.5);
  EXPECT_DOUBLE_EQ(k.ttp, 120);
  EXPECT_DOUBLE_EQ(k.me, (1 + 1.5 + 1.4 + 1.3 + 1.2) / 5);
  EXPECT_DOUBLE_EQ(k.ie, 1.0);
  EXPECT_DOUBLE_EQ(k.wash_in, 1.0);  // per minute: first post phase at 1 min
  EXPECT_DOUBLE_EQ(k.ser, 100.0 / 120.0);
  EXPECT_DOUBLE_EQ(k.wash_out, (1.2 - 1.5) / 3.0);
  EXPECT_DOUBLE_EQ(k.auc60, 0.5 * 1.0 * 60);
  EXPECT_DOUBLE_EQ(k.auc90, 30 + 0.5 * (1.0 + 1.25) * 30);
  EXPECT_EQ(k.type, CurveType::kPlateau);  // 220 vs 200: +10% exactly is not beyond +10%
}

TEST(Kinetics, CurveTypeFollowsTheLatePhaseChange) {
  EXPECT_EQ(curve_kinetics({100, 150, 170, 180, 190, 200}, kTimes).type, CurveType::kPersistent);
  EXPECT_EQ(curve_kinetics({100, 200, 205, 200, 198, 202}, kTimes).type, CurveType::kPlateau);
  EXPECT_EQ(curve_kinetics({100, 250, 240, 220, 210, 200}, kTimes).type, CurveType::kWashout);
  EXPECT_TRUE(std::isnan(curve_kinetics({0, 10, 10, 10, 10, 10}, kTimes).pe));  // no baseline signal
}

TEST(Kinetics, MapsAndSummariesAgreeWithTheVoxelCurves) {
  core::Geometry g;
  g.size = {3, 2, 1};
  std::vector<core::Image> phases;
  const double curves[6][6] = {{100, 150, 170, 180, 190, 200}, {100, 200, 205, 200, 198, 202},
                               {100, 250, 240, 220, 210, 200}, {0, 10, 10, 10, 10, 10},
                               {50, 100, 100, 100, 100, 100},  {80, 80, 80, 80, 80, 80}};
  for (size_t p = 0; p < 6; ++p) {
    core::Image phase(g);
    for (size_t v = 0; v < 6; ++v) phase.voxels[v] = float(curves[v][p]);
    phases.push_back(phase);
  }
  const KineticMaps maps = compute_kinetics(phases, kTimes);
  EXPECT_EQ(maps.curve_type.voxels[2], uint8_t(CurveType::kWashout));
  EXPECT_FLOAT_EQ(maps.peak_enhancement.voxels[2], 1.5f);
  EXPECT_EQ(maps.undefined_voxels, 2u);  // S0 = 0, and a flat curve (SER undefined)
  core::Mask mask(g);
  mask.voxels = {1, 1, 1, 0, 0, 0};
  const auto summary = summarise(maps, mask);
  std::map<std::string, double> values(summary.values.begin(), summary.values.end());
  EXPECT_NEAR(values["curve_persistent_fraction"], 1.0 / 3, 1e-12);
  EXPECT_NEAR(values["curve_washout_fraction"], 1.0 / 3, 1e-12);
  EXPECT_NEAR(values["pe_mean"], (1.0 + 1.05 + 1.5) / 3, 1e-6);
}

TEST(Kinetics, RejectsTimesThatDoNotIncreaseAndPhasesOnOtherGrids) {
  core::Geometry g;
  g.size = {2, 2, 1};
  std::vector<core::Image> phases(3, core::Image(g, 1.0f));
  EXPECT_THROW(compute_kinetics(phases, {0, 60, 60}), core::Error);
  phases[2].geometry.spacing[0] = 2;
  EXPECT_THROW(compute_kinetics(phases, {0, 60, 120}), core::Error);
}

TEST(Adc, ExactOnMonoExponentialSignalOverSeveralSeeds) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    core::Rng rng(seed);
    core::Geometry g;
    g.size = {4, 3, 2};
    const std::vector<double> b = {0, 400, 800, 1000};
    std::vector<core::Image> volumes(b.size(), core::Image(g));
    std::vector<double> truth(g.voxel_count());
    for (size_t v = 0; v < g.voxel_count(); ++v) {
      truth[v] = rng.uniform(0.5e-3, 3e-3);
      const double s0 = rng.uniform(200, 2000);
      for (size_t i = 0; i < b.size(); ++i) volumes[i].voxels[v] = float(s0 * std::exp(-b[i] * truth[v]));
    }
    const AdcMap adc = fit_adc(volumes, b);
    EXPECT_EQ(adc.undefined_voxels, 0u);
    for (size_t v = 0; v < g.voxel_count(); ++v) EXPECT_NEAR(adc.adc.voxels[v], truth[v], 1e-6);
  }
}

TEST(Adc, NonPositiveSignalsAreLeftOutAndTooFewGiveNaN) {
  core::Geometry g;
  g.size = {2, 1, 1};
  std::vector<core::Image> volumes = {core::Image(g), core::Image(g), core::Image(g)};
  volumes[0].voxels = {1000, 1000};
  volumes[1].voxels = {-5, 0};
  volumes[2].voxels = {float(1000 * std::exp(-1.0)), 0};
  const AdcMap adc = fit_adc(volumes, {0, 500, 1000});
  EXPECT_NEAR(adc.adc.voxels[0], 1e-3, 1e-7);
  EXPECT_TRUE(std::isnan(adc.adc.voxels[1]));
  EXPECT_EQ(adc.undefined_voxels, 1u);
}

TEST(Adc, SensibleOnRealMultiShellDiffusionData) {
  const std::filesystem::path dir = std::filesystem::path(VBIOPSY_TEST_DATA) / "dwi_dipy";
  const auto volumes = read_image_series(dir / "small_101D.nii.gz");
  std::ifstream in(dir / "small_101D.bval");
  std::vector<double> b;
  for (double v; in >> v;) b.push_back(v);
  ASSERT_EQ(volumes.size(), b.size());
  const AdcMap adc = fit_adc(volumes, b);
  double sum = 0, n = 0;
  for (float v : adc.adc.voxels)
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  ASSERT_GT(n, 0);
  const double mean = sum / n;  // brain tissue and CSF: between 0.2e-3 and 3.5e-3 mm^2/s
  EXPECT_GT(mean, 0.2e-3);
  EXPECT_LT(mean, 3.5e-3);
}

}  // namespace
}  // namespace vbiopsy::modalities::mri

#include <unistd.h>

#include "modalities/case_loader.h"

namespace vbiopsy::modalities::mri {
namespace {

TEST(Adc, AFourDimensionalDwiFileLoadsWithItsBValuesOntoTheDceGrid) {
  namespace fs = std::filesystem;
  const fs::path data = fs::path(VBIOPSY_TEST_DATA) / "dwi_dipy";
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_dwi4d_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto volumes = read_image_series(data / "small_101D.nii.gz");
  datasets::MriStudy study;
  for (int p = 0; p < 3; ++p) {
    study.dce.push_back(dir / ("dce" + std::to_string(p) + ".nii.gz"));
    write_image(volumes[0], study.dce.back());
  }
  study.dce_times_s = {0, 60, 120};
  study.dwi = {data / "small_101D.nii.gz"};
  std::ifstream in(data / "small_101D.bval");
  for (double b; in >> b;) study.dwi_b_values.push_back(b);
  core::Mask mask(volumes[0].geometry, 1);
  study.mask = dir / "mask.nii.gz";
  write_mask(mask, study.mask);
  const LoadedMri mri = load_mri(study);
  EXPECT_EQ(mri.dwi.size(), 102u);
  EXPECT_EQ(mri.dwi_b_values.size(), 102u);
  EXPECT_EQ(core::describe_grid_mismatch(mri.dwi[5].geometry, mri.dce[0].geometry), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::modalities::mri
