#pragma once
// A closed triangle mesh of a binary mask's surface, in mm: marching cubes at the 0.5 iso-level
// (vertices at edge midpoints), by ITK's BinaryMask3DMeshSource. Its case table reproduces the
// IBSI digital phantom's reference mesh (volume 556, area 388); PyRadiomics ships a table of its
// own, so mesh features differ from PyRadiomics' by up to ~0.1% (see README).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vbiopsy::encoders::radiomics {

struct Mesh {
  std::vector<std::array<double, 3>> vertices;  // mm
  size_t triangles = 0;
  double volume = 0;  // mm^3, from the divergence theorem
  double area = 0;    // mm^2
};

// mask: size[0]*size[1]*size[2] values, x fastest; nonzero is inside.
Mesh mesh_of_mask(const std::vector<uint8_t>& mask, const std::array<size_t, 3>& size,
                  const std::array<double, 3>& spacing);

}  // namespace vbiopsy::encoders::radiomics
