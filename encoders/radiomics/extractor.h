#pragma once
// The radiomics engine's entry point: one image and mask in, every enabled family out.
#include <set>
#include <string>
#include <vector>

#include "core/image.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/filters.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

struct ExtractionSettings {
  int label = kAnyLabel;  // the mask value of the region; kAnyLabel (0): every non-zero voxel
  std::string segment;    // a DICOM Segmentation's segment chosen by its SegmentLabel (instead of label)
  DiscretisationSettings discretisation;
  // Families to compute: "morph", "shape2d" (single-slice regions only), "li", "stats", "ih", "ivh", "glcm", "glrlm",
  // "glszm", "gldzm", "ngtdm", "ngldm". Empty: all.
  std::set<std::string> families;
  // Image types: the original and any filtered images. Filtered images get the intensity and
  // texture families (not morphology, 2D shape or local intensity), their columns prefixed with the
  // image type, e.g. "log-sigma-2-mm-3D_glcm_joint_maximum_3D_averaged".
  FilterSettings filters;
  // Re-segmentation of the intensity mask: "absolute" keeps [range[0], range[1]] (one value: a lower
  // bound), "sigma" keeps mean +- range standard deviations. Empty range: none.
  std::string resegment_mode = "absolute";
  std::vector<double> resegment_range;
  // Resampling before everything else (IBSI: centre-aligned grid, mask by partial volume >= 0.5;
  // PyRadiomics: its own grid). Empty: none.
  std::vector<double> resampled_spacing;
  bool bspline = true;             // image interpolation: cubic B-spline (sitkBSpline) or trilinear (sitkLinear)
  bool round_intensities = false;  // after resampling, to the nearest integer (IBSI: CT in HU)
  // Used only by the PyRadiomics convention (pyradiomics.h explains each).
  double voxel_array_shift = 0;
  bool force_2d = false;
  bool merge_directions = false;
  bool normalize = false;
  double normalize_scale = 1;
  double pad_distance = 5;
  // Image types computed in parallel within the case (the values do not depend on it).
  unsigned threads = 1;
};

FeatureList extract_features(const core::Image& image, const core::Mask& mask, const ExtractionSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
