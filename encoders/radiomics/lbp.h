#pragma once
// Local binary patterns in each axial (x, y) plane, as PyRadiomics' "lbp-2D" image type computes
// them with scikit-image's local_binary_pattern: `samples` neighbours on a circle of `radius`
// pixels (angle 2 pi p / samples, at row -radius sin, column +radius cos, rounded to 5 decimals),
// read by bilinear interpolation with zero outside the image; bit p is set when the neighbour is
// >= the centre. Methods:
//   default  sum of bit p * 2^p
//   ror      the smallest value over circular rotations of the bits (rotation invariant)
//   uniform  the number of set bits when the bits change at most twice from p = 0 to samples - 1
//            (scikit-image does not count the change from the last to the first), else samples + 1
#include <string>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

core::Image local_binary_pattern_2d(const core::Image& image, double radius, int samples, const std::string& method);

}  // namespace vbiopsy::encoders::radiomics
