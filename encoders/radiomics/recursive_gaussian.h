#pragma once
// The Laplacian of Gaussian as ITK's LaplacianRecursiveGaussianImageFilter computes it (Deriche's
// fourth-order recursive Gaussian, normalised across scale; PyRadiomics' LoG), value for value, but
// only where it is needed. ITK filters every line of the image in all nine separable passes; the
// later passes of each second derivative only feed the voxels asked for, so here each pass runs only
// on the lines the next one reads (the first pass of each still covers the whole image, as a
// recursive filter needs whole lines).
#include <array>
#include <cstddef>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

// Voxels lo..hi (inclusive) along each axis of an image.
struct VoxelBox {
  std::array<size_t, 3> lo{0, 0, 0}, hi{0, 0, 0};
  size_t extent(int axis) const { return hi[size_t(axis)] - lo[size_t(axis)] + 1; }
};

// LoG of `image` (sigma in mm, spacing from the geometry) on the voxels of `box`: an image of the
// box's size placed at the box (origin moved accordingly). Every axis needs at least 4 voxels.
core::Image laplacian_of_gaussian_in(const core::Image& image, double sigma_mm, const VoxelBox& box);
// The same with the image cut to `reach` (which holds `box`) first, as if cropped: its borders are
// where the recursive filter starts.
core::Image laplacian_of_gaussian_in(const core::Image& image, double sigma_mm, const VoxelBox& box,
                                     const VoxelBox& reach);

}  // namespace vbiopsy::encoders::radiomics
