#include "encoders/radiomics/resample.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {
namespace {

core::Geometry grid(std::array<size_t, 3> size, std::array<double, 3> spacing) {
  core::Geometry g;
  g.size = size;
  g.spacing = spacing;
  g.origin = {-7.5, 3.25, 10};
  return g;
}

TEST(IbsiResampling, KeepsTheGridCentreAndRoundsTheSizeUp) {
  const core::Geometry g = grid({11, 10, 7}, {1, 1, 3});
  const core::Geometry r = ibsi_resampled_grid(g, {2, 2, 2});
  EXPECT_EQ(r.size, (std::array<size_t, 3>{6, 5, 11}));
  const auto old_centre = g.index_to_physical(5, 4.5, 3);
  const auto new_centre = r.index_to_physical(2.5, 2, 5);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(old_centre[a], new_centre[a], 1e-9);
  EXPECT_THROW(ibsi_resampled_grid(g, {0, 1, 1}), core::Error);
}

TEST(IbsiResampling, TrilinearIsExactOnALinearRampInside) {
  const core::Geometry g = grid({12, 12, 12}, {1, 1, 1});
  core::Image ramp(g);
  core::Mask mask(g, 1);
  auto f = [](const std::array<double, 3>& p) { return 2 * p[0] - 3 * p[1] + 0.5 * p[2] + 7; };
  for (size_t z = 0; z < 12; ++z)
    for (size_t y = 0; y < 12; ++y)
      for (size_t x = 0; x < 12; ++x) ramp.at(x, y, z) = static_cast<float>(f(g.index_to_physical(x, y, z)));
  auto [image, region] = resample_ibsi(ramp, mask, 1, {1.5, 0.7, 2}, Interpolation::kLinear);
  const auto& r = image.geometry;
  for (size_t z = 1; z + 1 < r.size[2]; ++z)
    for (size_t y = 1; y + 1 < r.size[1]; ++y)
      for (size_t x = 1; x + 1 < r.size[0]; ++x) EXPECT_NEAR(image.at(x, y, z), f(r.index_to_physical(x, y, z)), 1e-3);
}

TEST(IbsiResampling, PartialVolumeMaskKeepsTheSphereVolume) {
  const core::Geometry g = grid({40, 40, 40}, {1, 1, 1});
  core::Image image(g, 1.0f);
  core::Mask sphere(g);
  for (size_t z = 0; z < 40; ++z)
    for (size_t y = 0; y < 40; ++y)
      for (size_t x = 0; x < 40; ++x)
        sphere.at(x, y, z) = (std::pow(x - 19.5, 2) + std::pow(y - 19.5, 2) + std::pow(z - 19.5, 2)) <= 100 ? 2 : 0;
  auto [resampled, region] = resample_ibsi(image, sphere, 2, {2, 2, 2}, Interpolation::kBSpline);
  const double volume = double(core::count_nonzero(region)) * 8;
  EXPECT_NEAR(volume, 4.0 / 3.0 * M_PI * 1000, 0.06 * 4.0 / 3.0 * M_PI * 1000);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
