#pragma once
// A picture of an image around its region, for a person to check at a glance what a prediction was
// made from: the slice with the most region voxels (3D), the region's bounding box widened by its
// own size on every side (at least 24 mm), grey levels windowed to the 1st-99th percentile there,
// the region's outline in red, square pixels in mm, the longer side `size` pixels.
// An optional heat map on the image's grid (e.g. Grad-CAM, values in [0, 1]) is blended in.
#include <array>
#include <cstdint>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities {

struct Thumbnail {
  std::vector<uint8_t> png;
  size_t slice = 0;             // the slice shown (0 for 2D images)
  std::array<size_t, 4> box{};  // x0, y0, x1, y1 (exclusive) of the image shown
};

Thumbnail region_thumbnail(const core::Image& image, const core::Mask& mask, int size = 256,
                           const core::Image* heat = nullptr);

}  // namespace vbiopsy::modalities
