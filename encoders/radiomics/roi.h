#pragma once
// The region of interest as the feature families see it: the image cropped to the mask's bounding
// box, the intensity mask (after re-segmentation) and the morphological mask (before it), and the
// discretised grey levels 1..levels (0 outside the intensity mask).
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

struct Roi {
  std::array<size_t, 3> size{0, 0, 0};
  std::array<double, 3> spacing{1, 1, 1};
  std::array<size_t, 3> offset{0, 0, 0};  // of the crop within the source image
  std::vector<float> intensity;           // every voxel of the crop
  std::vector<uint8_t> morphological;     // mask before re-segmentation
  std::vector<uint8_t> in_roi;            // intensity mask
  std::vector<int> level;                 // discretised grey level, 0 outside in_roi
  int levels = 0;                         // Ng: the grey levels run 1..levels

  size_t index(size_t x, size_t y, size_t z) const { return x + size[0] * (y + size[1] * z); }
  size_t voxel_count() const { return size[0] * size[1] * size[2]; }
  // Intensities of the voxels in the intensity mask, in index order.
  std::vector<double> roi_intensities() const;
  std::vector<int> roi_levels() const;
};

// The label that selects every non-zero voxel: a mask is "non-zero = region" unless a label is
// asked for, so binary masks stored as 0/1, 0/255 or true/false all simply work.
constexpr int kAnyLabel = 0;
inline bool in_label(uint8_t value, int label) { return label == kAnyLabel ? value != 0 : value == label; }
// The distinct values a mask holds, for messages ("0, 255").
std::string mask_values_text(const core::Mask& mask);

// The check every command makes of a mask file before extraction: the label occurs (else an error
// naming the file and the values found), and a mask of several labels read without a label setting
// gives a warning that all of them form the region.
void check_mask_label(const core::Mask& mask, int label, const std::string& mask_name);
// The region of `label` as a 0/1 mask (check_mask_label first, naming the file).
core::Mask region_of(const core::Mask& mask, int label);
// The same in the mask's own storage (no second full-size buffer).
core::Mask region_of(core::Mask&& mask, int label);

// Crops image and mask (voxels of `label`) to the mask's bounding box. Throws core::Error for
// an empty mask, a label absent from the mask, mismatched grids, or NaN/Inf inside the mask.
Roi extract_roi(const core::Image& image, const core::Mask& mask, int label = kAnyLabel);

// Re-segmentation: keeps in the intensity mask only voxels within [lower, upper] (either may be
// infinite); the morphological mask is untouched. Throws when no voxel is left.
void resegment_range(Roi& roi, double lower, double upper);
// Keeps voxels within mean +- k standard deviations (population) of the ROI's intensities.
void resegment_sigma(Roi& roi, double k_lower, double k_upper);

// Either of the above by name: mode "absolute" (range: lower[, upper]) or "sigma"; empty range: none.
void resegment(Roi& roi, const std::string& mode, const std::vector<double>& range);

enum class Discretisation { kNone, kFixedBinNumber, kFixedBinSize };

struct DiscretisationSettings {
  Discretisation method = Discretisation::kNone;
  int bin_number = 32;
  double bin_size = 25;
  // Lower edge of the first bin for fixed bin size; NaN: the ROI minimum (IBSI) — PyRadiomics
  // aligns to multiples of the bin size instead (set pyradiomics_edges).
  double bin_size_minimum = std::numeric_limits<double>::quiet_NaN();
  bool pyradiomics_edges = false;
  int max_levels = 100000;  // more bins than this is refused before any matrix is allocated
};

// Fills roi.level / roi.levels. kNone requires integer intensities >= 1 (as the IBSI phantom).
void discretise(Roi& roi, const DiscretisationSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
