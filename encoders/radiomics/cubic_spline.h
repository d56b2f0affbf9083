#pragma once
// Cubic B-spline interpolation of a 3D image as scipy.ndimage.map_coordinates(order=3,
// mode="constant") computes it: the image is first turned into spline coefficients with
// mirror (whole-sample symmetric) boundaries, a point is the weighted sum of the 4 x 4 x 4
// coefficients around it (mirrored indices at the edges), and a point outside [0, size - 1] on
// any axis reads 0 (scipy does not interpolate beyond the edges in this mode).
#include <array>
#include <vector>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

class CubicSpline {
 public:
  explicit CubicSpline(const core::Image& image);
  // The value at a continuous index (x, y, z), ITK's index order.
  double at(double x, double y, double z) const;

 private:
  std::array<long, 3> size_;
  std::vector<double> coefficients_;  // x fastest, as core::Image
};

}  // namespace vbiopsy::encoders::radiomics
