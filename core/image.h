#pragma once
// The image type shared by every library: a 3D grid with ITK's (LPS) physical geometry. 2D images
// (mammography, ultrasound frames) have size[2] == 1. Voxels are stored x fastest, then y, then z,
// as in ITK and in DICOM pixel data.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vbiopsy::core {

struct Geometry {
  std::array<size_t, 3> size{0, 0, 0};
  std::array<double, 3> spacing{1, 1, 1};  // mm
  std::array<double, 3> origin{0, 0, 0};   // mm, LPS, centre of the first voxel
  // Row-major 3x3; column k is the direction of index axis k.
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  size_t voxel_count() const { return size[0] * size[1] * size[2]; }
  std::array<double, 3> index_to_physical(double i, double j, double k) const;
  std::array<double, 3> physical_to_index(const std::array<double, 3>& point) const;
};

// Empty when the grids agree within tolerance (relative 1e-4 on spacing, 1e-3 mm on origin
// scaled by spacing, 1e-4 on direction cosines); otherwise says which field differs and how.
std::string describe_grid_mismatch(const Geometry& a, const Geometry& b);

template <typename T>
struct ImageT {
  Geometry geometry;
  std::vector<T> voxels;

  ImageT() = default;
  explicit ImageT(const Geometry& g, T fill = T{}) : geometry(g), voxels(g.voxel_count(), fill) {}
  size_t offset(size_t x, size_t y, size_t z) const { return x + geometry.size[0] * (y + geometry.size[1] * z); }
  T& at(size_t x, size_t y, size_t z) { return voxels[offset(x, y, z)]; }
  const T& at(size_t x, size_t y, size_t z) const { return voxels[offset(x, y, z)]; }
  bool empty() const { return voxels.empty(); }
};

using Image = ImageT<float>;
using Mask = ImageT<uint8_t>;

size_t count_nonzero(const Mask& mask);

}  // namespace vbiopsy::core
