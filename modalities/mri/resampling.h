#pragma once
// Putting every MRI sequence on the DCE grid by physical coordinates (ITK): images by trilinear
// interpolation, masks and label maps by nearest neighbour. Points outside the source read 0.
#include "core/image.h"

namespace vbiopsy::modalities::mri {

core::Image resample_to_grid(const core::Image& image, const core::Geometry& grid);
core::Mask resample_mask_to_grid(const core::Mask& mask, const core::Geometry& grid);

}  // namespace vbiopsy::modalities::mri
