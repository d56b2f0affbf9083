#pragma once
// IBSI resampling (reference manual, "interpolation"): the new grid's centre coincides with the
// old grid's centre, n_new = ceil(n_old * s_old / s_new) per axis; the image by trilinear or cubic
// B-spline interpolation, the mask by trilinear interpolation of its 0/1 values kept where >= 0.5
// (partial-volume threshold). Points outside the image read 0.
#include <array>
#include <utility>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

enum class Interpolation { kLinear, kBSpline };

// Throws, naming the setting, when a resampled grid of this size would exceed the memory budget.
void require_resampling_budget(const std::array<double, 3>& size, const std::array<double, 3>& spacing);

core::Geometry ibsi_resampled_grid(const core::Geometry& grid, const std::array<double, 3>& spacing);

// The mask keeps value 1 for the resampled region of `label` (0 elsewhere; label 0: every non-zero voxel).
std::pair<core::Image, core::Mask> resample_ibsi(const core::Image& image, const core::Mask& mask, int label,
                                                 const std::array<double, 3>& spacing, Interpolation interpolation);

}  // namespace vbiopsy::encoders::radiomics
