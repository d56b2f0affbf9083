#include "encoders/radiomics/autocorrelation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"

namespace vbiopsy::encoders::radiomics {
namespace {

// A blob of random shape with spatially correlated intensities (so Moran's I is well away from 0).
Roi random_region(uint64_t seed, const std::array<size_t, 3>& size, const std::array<double, 3>& spacing) {
  core::Rng rng(seed);
  Roi roi;
  roi.size = size;
  roi.spacing = spacing;
  const size_t n = roi.voxel_count();
  roi.intensity.resize(n);
  roi.morphological.resize(n);
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y)
      for (size_t x = 0; x < size[0]; ++x) {
        const size_t i = roi.index(x, y, z);
        const double dx = double(x) / double(size[0]) - 0.5, dy = double(y) / double(size[1]) - 0.5,
                     dz = double(z) / double(size[2]) - 0.5;
        roi.morphological[i] = dx * dx + dy * dy + dz * dz < 0.2 + 0.05 * rng.normal(0, 1);
        roi.intensity[i] =
            float(100 + 40 * std::sin(0.3 * double(x)) + 20 * double(y) / double(size[1]) + rng.normal(0, 5));
      }
  roi.in_roi = roi.morphological;
  return roi;
}

TEST(Autocorrelation, TheFftSumsEqualTheDirectPairSums) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    const Roi roi = random_region(seed, {17 + seed, 13, 6 + seed}, {0.7, 1.1, 2.5});
    const auto direct = spatial_autocorrelation(roi, PairSums::kDirect);
    const auto fft = spatial_autocorrelation(roi, PairSums::kFft);
    ASSERT_TRUE(std::isfinite(direct.moran) && std::isfinite(direct.geary)) << seed;
    EXPECT_GT(direct.moran, 0.05) << seed;  // correlated intensities: a non-trivial value to match
    EXPECT_NEAR(fft.moran, direct.moran, 1e-9 * std::abs(direct.moran)) << seed;
    EXPECT_NEAR(fft.geary, direct.geary, 1e-9 * std::abs(direct.geary)) << seed;
  }
}

TEST(Autocorrelation, ASingleSliceAndUndefinedCases) {
  // One slice: the transform is in-plane, the result still the direct one.
  const Roi slice = random_region(4, {30, 25, 1}, {0.5, 0.5, 3});
  EXPECT_NEAR(spatial_autocorrelation(slice, PairSums::kFft).moran,
              spatial_autocorrelation(slice, PairSums::kDirect).moran, 1e-9);
  // A flat region and a single voxel have no autocorrelation: NaN, as IBSI leaves them.
  Roi flat = random_region(5, {8, 8, 8}, {1, 1, 1});
  for (auto& v : flat.intensity) v = 7;
  EXPECT_TRUE(std::isnan(spatial_autocorrelation(flat).moran));
  EXPECT_TRUE(std::isnan(spatial_autocorrelation(flat, PairSums::kFft).geary));
  Roi one = random_region(6, {3, 3, 3}, {1, 1, 1});
  std::fill(one.in_roi.begin(), one.in_roi.end(), 0);
  one.in_roi[13] = 1;
  EXPECT_TRUE(std::isnan(spatial_autocorrelation(one).moran));
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
