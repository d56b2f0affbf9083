#pragma once
// IBSI 2 convolutional filters as one configurable operation: a filter family with its
// parameters, the boundary condition, and how directional filters are made rotation invariant
// (pooling over the 24 right-angle rotations of a volume or the 4 of a plane, or over Gabor
// orientations and the three orthogonal planes), optionally followed by a Laws energy map.
// Read from the [filter] section of an INI file (docs/radiomics.md lists the keys).
#include <array>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"
#include "encoders/radiomics/convolution/grid.h"

namespace vbiopsy::encoders::radiomics::convolution {

enum class Pooling { kNone, kMax, kAverage };

struct FilterSpec {
  std::string family;  // mean, log, laws, gabor, wavelet, simoncelli
  int dimensions = 3;  // 2: each (x, y) plane on its own
  Padding padding = Padding::kMirror;
  Pooling rotation_pooling = Pooling::kNone;   // laws, wavelet: over right-angle rotations; gabor: over orientations
  size_t support = 0;                          // mean: voxels per side
  double sigma_mm = 0, truncate = 4;           // log (truncate: support radius in sigmas); gabor
  std::string kernel;                          // laws, e.g. E5L5S5
  size_t energy_distance = 0;                  // laws: > 0 gives the energy map over (2d + 1) voxels per side
  double wavelength_mm = 0, aspect_ratio = 1;  // gabor
  double orientation_deg = 0;                  // gabor: the single orientation (no pooling)
  double orientation_step_deg = 0;             // gabor with pooling: 0, step, ... below 360 degrees
  bool orthogonal_planes = false;              // gabor: averaged over the axial, coronal and sagittal planes
  std::string wavelet, bands;                  // wavelet: e.g. db2 and LHL
  int level = 1;                               // wavelet, simoncelli
  std::array<int, 3> riesz_order{0, 0, 0};     // log, simoncelli: > 0 in total applies the Riesz transform after
};

// A [filter] section's key/value pairs; errors start with `where` (the file and section).
FilterSpec filter_spec_from(const std::vector<std::pair<std::string, std::string>>& entries, const std::string& where);
FilterSpec read_filter_spec(const std::filesystem::path& ini);
// Canonical "key = value" lines (every key that applies, with its effective value, in a fixed
// order); filter_spec_from reads them back to the same spec.
std::string write_filter_spec(const FilterSpec& spec);

// The response map on the image's grid (same geometry).
core::Image response_map(const core::Image& image, const FilterSpec& spec);
Grid response_map(const Grid& image, const FilterSpec& spec);

}  // namespace vbiopsy::encoders::radiomics::convolution
