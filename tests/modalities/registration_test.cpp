#include "modalities/mri/registration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "modalities/mri/resampling.h"

namespace vbiopsy::modalities::mri {
namespace {

// A blob phantom with some structure, so that mutual information has something to align.
core::Image phantom(const core::Geometry& g) {
  core::Image image(g);
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) {
        const auto p = g.index_to_physical(double(x), double(y), double(z));
        const double a = std::exp(-(std::pow(p[0] - 3, 2) + std::pow(p[1] + 2, 2) + std::pow(p[2], 2)) / 40.0);
        const double b = std::exp(-(std::pow(p[0] + 6, 2) + std::pow(p[1] - 5, 2) + std::pow(p[2] - 3, 2)) / 15.0);
        image.at(x, y, z) = float(100 + 300 * a + 200 * b);
      }
  return image;
}

TEST(RigidRegistration, RecoversAKnownShiftBetweenTwoAcquisitions) {
  core::Geometry fixed_grid;
  fixed_grid.size = {32, 32, 16};
  fixed_grid.spacing = {1, 1, 2};
  fixed_grid.origin = {-16, -16, -16};
  core::Geometry moving_grid = fixed_grid;
  // The patient moved by (2, -1.5, 1) mm: the same anatomy sampled on a shifted grid.
  const core::Image fixed = phantom(fixed_grid);
  core::Image moving(moving_grid);
  for (size_t z = 0; z < 16; ++z)
    for (size_t y = 0; y < 32; ++y)
      for (size_t x = 0; x < 32; ++x) {
        auto p = moving_grid.index_to_physical(double(x), double(y), double(z));
        const double px = p[0] - 2, py = p[1] + 1.5, pz = p[2] - 1;
        const double a = std::exp(-(std::pow(px - 3, 2) + std::pow(py + 2, 2) + std::pow(pz, 2)) / 40.0);
        const double b = std::exp(-(std::pow(px + 6, 2) + std::pow(py - 5, 2) + std::pow(pz - 3, 2)) / 15.0);
        moving.at(x, y, z) = float(100 + 300 * a + 200 * b);
      }
  const RigidRegistration r = register_rigid(fixed, moving);
  EXPECT_NEAR(r.translation_mm[0], 2.0, 0.3);
  EXPECT_NEAR(r.translation_mm[1], -1.5, 0.3);
  EXPECT_NEAR(r.translation_mm[2], 1.0, 0.3);
  for (double angle : r.rotation_rad) EXPECT_NEAR(angle, 0.0, 0.03);
  EXPECT_LT(r.final_metric, 0.0);  // Mattes MI is reported negated
  // Undefined voxels in the moving image (failed ADC fits) must not break the registration.
  core::Image holes = moving;
  for (size_t i = 0; i < holes.voxels.size(); i += 7) holes.voxels[i] = NAN;
  const RigidRegistration with_holes = register_rigid(fixed, holes);
  EXPECT_TRUE(std::isfinite(with_holes.final_metric));
  EXPECT_NEAR(with_holes.translation_mm[0], 2.0, 0.5);
}

}  // namespace
}  // namespace vbiopsy::modalities::mri
