#pragma once
// Local binary patterns in 3D by spherical harmonics, PyRadiomics' "lbp-3D" image types (Banerjee
// et al., "Spherical harmonics based local binary patterns", as PyRadiomics' getLBP3DImage codes
// it). Around each voxel of the region the image is sampled at the vertices of an icosphere
// (trimesh's: the icosahedron subdivided `icosphere_subdivision` times, radius
// `icosphere_radius` voxels) by cubic spline (cubic_spline.h); bit v is set when sample v is >= the
// voxel. With the real spherical harmonics Y(n, m) evaluated as scipy.special.sph_harm(m, n,
// polar, azimuth) is called there (the polar angle in scipy's azimuth argument, as PyRadiomics
// does), c(n, m) = sum_v bit_v Y(n, m, v), and level n's image is the real part of
// sqrt(sum_v (sum_m c(n, m) Y(n, m, v))^2) (complex square, not modulus, as numpy computes it).
// lbp-3D-k is the excess kurtosis of the samples (biased; NaN when they are all equal, as scipy 1.10).
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

// How the samples are stored before they are compared, as scipy returns them in the image's
// own type: float64, float32, rounded half away from zero (signed integer types) or rounded with
// negatives set to 0 (unsigned ones).
enum class SampleType { kDouble, kFloat, kSigned, kUnsigned };
// The sample type of an image of ITK's component type `component` ("short", "float", "double", ...).
SampleType sample_type_of(const std::string& component);

struct Lbp3dSettings {
  int levels = 2;                 // lbp3DLevels: images lbp-3D-m1 ... lbp-3D-m<levels>
  double icosphere_radius = 1;    // lbp3DIcosphereRadius, voxels
  int icosphere_subdivision = 1;  // lbp3DIcosphereSubdivision
  SampleType samples = SampleType::kDouble;
};

// The icosphere's vertices (x, y, z) in trimesh's axis order; 12, 42, 162, ... of them.
std::vector<std::array<double, 3>> icosphere(int subdivisions, double radius);

// lbp-3D-m1 ... lbp-3D-m<levels> and lbp-3D-k, each valued at the voxels where `where` is nonzero
// and 0 elsewhere. Throws for settings out of range.
std::vector<std::pair<std::string, core::Image>> local_binary_pattern_3d(const core::Image& image,
                                                                         const core::Mask& where,
                                                                         const Lbp3dSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
