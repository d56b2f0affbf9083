#pragma once
// A PNG picture of habitats: the slices through the tumour side by side, the DCE image in grey and
// each habitat in its own colour (OpenCV's jet colour map), for a person to check at a glance.
#include <filesystem>

#include "core/image.h"

namespace vbiopsy::modalities::mri {

// Up to max_slices slices with the most labelled voxels, in slice order. Written atomically.
void write_habitat_overlay(const core::Image& image, const core::Mask& labels, int habitats,
                           const std::filesystem::path& png, int max_slices = 3);

}  // namespace vbiopsy::modalities::mri
