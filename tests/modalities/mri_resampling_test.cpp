#include "modalities/mri/resampling.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vbiopsy::modalities::mri {
namespace {

core::Image labelled_volume(const core::Geometry& g) {
  core::Image image(g);
  for (size_t i = 0; i < image.voxels.size(); ++i) image.voxels[i] = float(i);
  return image;
}

TEST(MriResampling, AVolumeShiftedInItsHeaderLandsOnTheRightVoxels) {
  core::Geometry dce;
  dce.size = {10, 8, 6};
  dce.spacing = {1, 1, 2};
  core::Geometry t2 = dce;
  t2.origin = {3, -2, 4};  // the T2 grid starts 3 voxels right, 2 up, 2 slices further
  const core::Image image = labelled_volume(t2);
  const core::Image on_dce = resample_to_grid(image, dce);
  for (size_t z = 2; z < 6; ++z)
    for (size_t y = 0; y < 6; ++y)
      for (size_t x = 3; x < 10; ++x)
        EXPECT_FLOAT_EQ(on_dce.at(x, y, z), image.at(x - 3, y + 2, z - 2)) << x << "," << y << "," << z;
  EXPECT_EQ(on_dce.at(0, 0, 0), 0.0f);  // outside the T2 volume
}

TEST(MriResampling, ARotatedHeaderIsFollowedAndMasksStayBinary) {
  // The source's index axes are the target's rotated by 90 degrees about z: source (i, j) sits at
  // physical (-j, i).
  core::Geometry target;
  target.size = {5, 5, 3};
  target.origin = {-2, -2, 0};
  core::Geometry source = target;
  source.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};
  source.origin = {2, -2, 0};
  core::Mask mask(source);
  mask.at(1, 0, 1) = 1;  // physical (2 - 0, -2 + 1, 1) = (2, -1, 1)
  const core::Mask on_target = resample_mask_to_grid(mask, target);
  size_t count = 0;
  for (uint8_t v : on_target.voxels) count += v;
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(on_target.at(4, 1, 1), 1);  // target index of physical (2, -1, 1)
}

}  // namespace
}  // namespace vbiopsy::modalities::mri
