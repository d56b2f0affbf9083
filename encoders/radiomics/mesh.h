#pragma once
// A triangle mesh of a binary mask's surface, in mm: marching cubes at the 0.5 iso-level (vertices
// at edge midpoints), with case tables derived by rule rather than typed in (mesh.cpp):
//   kClosed       a closed surface whose volume and area do not change when the mask is mirrored
//                 or its axes swapped (the IBSI convention; meets the IBSI digital phantom);
//   kPyRadiomics  PyRadiomics' complement symmetry (a configuration and its complement share one
//                 surface, which can leave the classic tables' holes at ambiguous faces): within
//                 0.1% of PyRadiomics' own table on its brain1/brain2 baselines (README).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vbiopsy::encoders::radiomics {

struct Mesh {
  std::vector<std::array<double, 3>> vertices;  // mm
  // line_end[a][i]: vertex i is one of the two ends of its line of vertices parallel to axis a. A
  // vertex strictly between two others is a vertex of no convex hull, in 3D or in any plane through
  // that line: this prunes hull inputs exactly.
  std::array<std::vector<uint8_t>, 3> line_end;
  size_t triangles = 0;
  double volume = 0;  // mm^3, from the divergence theorem
  double area = 0;    // mm^2
};

enum class MeshStyle { kClosed, kPyRadiomics };

// mask: size[0]*size[1]*size[2] values, x fastest; nonzero is inside.
Mesh mesh_of_mask(const std::vector<uint8_t>& mask, const std::array<size_t, 3>& size,
                  const std::array<double, 3>& spacing, MeshStyle style = MeshStyle::kClosed);

}  // namespace vbiopsy::encoders::radiomics
