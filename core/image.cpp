#include "core/image.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vbiopsy::core {

std::array<double, 3> Geometry::index_to_physical(double i, double j, double k) const {
  const double scaled[3] = {i * spacing[0], j * spacing[1], k * spacing[2]};
  std::array<double, 3> p{};
  for (int r = 0; r < 3; ++r) {
    p[r] =
        origin[r] + direction[3 * r] * scaled[0] + direction[3 * r + 1] * scaled[1] + direction[3 * r + 2] * scaled[2];
  }
  return p;
}

std::array<double, 3> Geometry::physical_to_index(const std::array<double, 3>& point) const {
  Eigen::Matrix3d m;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m(r, c) = direction[3 * r + c] * spacing[c];
  Eigen::Vector3d d(point[0] - origin[0], point[1] - origin[1], point[2] - origin[2]);
  Eigen::Vector3d idx = m.inverse() * d;  // m is invertible for any valid geometry
  return {idx[0], idx[1], idx[2]};
}

std::string describe_grid_mismatch(const Geometry& a, const Geometry& b) {
  if (a.size != b.size) {
    return concat("size ", a.size[0], "x", a.size[1], "x", a.size[2], " vs ", b.size[0], "x", b.size[1], "x",
                  b.size[2]);
  }
  for (int i = 0; i < 3; ++i) {
    if (std::abs(a.spacing[i] - b.spacing[i]) > 1e-4 * std::max(a.spacing[i], b.spacing[i])) {
      return concat("spacing[", i, "] ", a.spacing[i], " vs ", b.spacing[i], " mm");
    }
  }
  const double min_spacing = std::min({a.spacing[0], a.spacing[1], a.spacing[2]});
  for (int i = 0; i < 3; ++i) {
    if (std::abs(a.origin[i] - b.origin[i]) > 1e-3 * std::max(1.0, min_spacing)) {
      return concat("origin[", i, "] ", a.origin[i], " vs ", b.origin[i], " mm");
    }
  }
  for (int i = 0; i < 9; ++i) {
    if (std::abs(a.direction[i] - b.direction[i]) > 1e-4) {
      return concat("direction[", i / 3, "][", i % 3, "] ", a.direction[i], " vs ", b.direction[i]);
    }
  }
  return {};
}

size_t count_nonzero(const Mask& mask) {
  return static_cast<size_t>(std::count_if(mask.voxels.begin(), mask.voxels.end(), [](uint8_t v) { return v != 0; }));
}

}  // namespace vbiopsy::core
