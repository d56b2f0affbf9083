#pragma once
// A mask file for the image it outlines, whatever its format.
#include <filesystem>

#include "core/image.h"

namespace vbiopsy::modalities {

// A mask file for an image: a label map on the same grid (2D masks from PNG take the image's
// geometry when their pixel size matches, since PNG carries no spacing), or a DICOM Segmentation
// (segment numbers as labels) or RT Structure Set (its one contoured ROI) placed on the image's
// grid; at least one voxel set.
core::Mask load_mask_for(const std::filesystem::path& mask_path, const core::Image& image,
                         const std::filesystem::path& image_path);

}  // namespace vbiopsy::modalities
