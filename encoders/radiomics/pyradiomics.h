#pragma once
// The PyRadiomics convention (`--compat pyradiomics`), so that a lab moving from PyRadiomics keeps
// its numbers and column names: its bin edges (the first bin starts at a multiple of binWidth), its
// default aggregation (texture features averaged over the 13 directions in 3D), kurtosis without
// the -3, energy with voxelArrayShift, and names such as original_glcm_JointEnergy.
#include <string>
#include <vector>

#include "core/image.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/filters.h"

namespace vbiopsy::encoders::radiomics {

struct PyRadiomicsSettings {
  int label = 0;  // 0: every non-zero voxel (roi.h kAnyLabel)
  double bin_width = 25;  // PyRadiomics' default
  int bin_count = 0;      // > 0: fixed bin count instead of bin width
  double voxel_array_shift = 0;
  bool force_2d = false;            // texture in-plane only (force2D, dimension 0)
  bool merge_directions = false;    // weightingNorm 'no_weighting': matrices summed over directions
  bool normalize = false;           // (x - mean) / sd over the whole image, times normalize_scale
  double normalize_scale = 1;
  std::string resegment_mode = "absolute";  // or "sigma"
  std::vector<double> resegment_range;      // empty: none; one value: lower bound only
  std::vector<double> resampled_spacing;    // empty: none; else mm per axis (B-spline image, nearest mask)
  double pad_distance = 5;                  // voxels kept around the ROI when resampling
  std::string stored_pixel_type = "float";  // the image's type on disk: resampled values are cast to it
  FilterSettings filters;                   // image types; filtered ones get firstorder and texture
  unsigned threads = 1;                     // image types computed in parallel (values do not depend on it)
};

// Features of the classes PyRadiomics enables by default: shape (shape2D for one slice),
// firstorder, glcm, glrlm, glszm, ngtdm, gldm, for the original and each filtered image. Column
// names are PyRadiomics' ("original_glcm_Idmn", "wavelet-LLH_firstorder_Mean"): family is the image
// type, name "<class>_<Feature>".
FeatureList pyradiomics_features(const core::Image& image, const core::Mask& mask,
                                 const PyRadiomicsSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
