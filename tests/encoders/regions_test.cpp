#include "encoders/radiomics/regions.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {
namespace {

core::Mask point_tumour(std::array<double, 3> spacing) {
  core::Geometry g;
  g.size = {11, 11, 11};
  g.spacing = spacing;
  core::Mask m(g);
  m.at(5, 5, 5) = 1;
  return m;
}

TEST(PeritumoralRing, CountsTheLatticePointsWithinThePhysicalDistance) {
  // Around one voxel with 1 mm spacing, 2 mm holds 6 + 12 + 8 + 6 neighbours (distances 1, sqrt 2,
  // sqrt 3, 2); the tumour voxel itself is excluded.
  EXPECT_EQ(core::count_nonzero(peritumoral_ring(point_tumour({1, 1, 1}), 2.0)), 32u);
  EXPECT_EQ(core::count_nonzero(peritumoral_ring(point_tumour({1, 1, 1}), 1.0)), 6u);
  // With 2 mm slices, 2 mm reaches the in-plane ring of radius 2 (12 voxels: distances 1, sqrt2, 2)
  // plus the two voxels straight above and below.
  EXPECT_EQ(core::count_nonzero(peritumoral_ring(point_tumour({1, 1, 2}), 2.0)), 12u + 2u);
}

TEST(PeritumoralRing, StaysInsideTheBodyMaskAndRejectsBadInput) {
  core::Mask tumour = point_tumour({1, 1, 1});
  core::Mask body(tumour.geometry);
  for (size_t z = 0; z < 11; ++z)
    for (size_t y = 0; y < 11; ++y)
      for (size_t x = 0; x < 6; ++x) body.at(x, y, z) = 1;  // half space x <= 5
  const core::Mask ring = peritumoral_ring(tumour, 1.0, &body);
  EXPECT_EQ(core::count_nonzero(ring), 5u);  // the +x neighbour lies outside the body
  EXPECT_THROW(peritumoral_ring(tumour, 0.0), core::Error);
  EXPECT_THROW(peritumoral_ring(core::Mask(tumour.geometry), 2.0), core::Error);
  EXPECT_THROW(label_region(tumour, 4), core::Error);
  EXPECT_EQ(core::count_nonzero(label_region(tumour, 1)), 1u);
}

TEST(PerturbedSegmentation, GrowsAndShrinksByOneVoxelAcrossFaces) {
  core::Geometry g3;
  g3.size = {7, 7, 7};
  core::Mask dot(g3, 0);
  dot.at(3, 3, 3) = 1;
  EXPECT_EQ(core::count_nonzero(perturbed_segmentation(dot, "dilate")), 7u);  // the voxel and its 6 face neighbours
  EXPECT_EQ(core::count_nonzero(perturbed_segmentation(dot, "erode")), 0u);
  core::Mask cube(g3, 0);
  for (size_t z = 2; z < 5; ++z)
    for (size_t y = 2; y < 5; ++y)
      for (size_t x = 2; x < 5; ++x) cube.at(x, y, z) = 1;
  const auto core_voxel = perturbed_segmentation(cube, "erode");
  EXPECT_EQ(core::count_nonzero(core_voxel), 1u);
  EXPECT_EQ(core_voxel.at(3, 3, 3), 1);
  EXPECT_EQ(core::count_nonzero(perturbed_segmentation(cube, "dilate")), 27u + 6u * 9u);
  // 2D: only in-plane neighbours; the image border counts as outside.
  core::Geometry g2;
  g2.size = {3, 3, 1};
  core::Mask full(g2, 1);
  EXPECT_EQ(core::count_nonzero(perturbed_segmentation(full, "erode")), 1u);
  core::Mask corner(g2, 0);
  corner.at(0, 0, 0) = 1;
  EXPECT_EQ(core::count_nonzero(perturbed_segmentation(corner, "dilate")), 3u);
  EXPECT_THROW(perturbed_segmentation(full, "blur"), core::Error);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
