#pragma once
// The PyRadiomics convention (`--compat pyradiomics`), so that a lab moving from PyRadiomics keeps
// its numbers and column names: its bin edges (the first bin starts at a multiple of binWidth), its
// default aggregation (texture features averaged over the 13 directions in 3D), kurtosis without
// the -3, energy with voxelArrayShift, and names such as original_glcm_JointEnergy.
#include "core/image.h"
#include "encoders/radiomics/feature.h"

namespace vbiopsy::encoders::radiomics {

struct PyRadiomicsSettings {
  int label = 1;
  double bin_width = 25;  // PyRadiomics' default
  double voxel_array_shift = 0;
};

// Features of the classes PyRadiomics enables by default: shape, firstorder, glcm, glrlm, glszm,
// ngtdm, gldm. Names are complete ("original_glcm_Idmn"); family is "original".
FeatureList pyradiomics_features(const core::Image& image, const core::Mask& mask,
                                 const PyRadiomicsSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
