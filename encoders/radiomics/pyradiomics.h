#pragma once
// The PyRadiomics convention (`--compat pyradiomics`), so that a lab moving from PyRadiomics keeps
// its numbers and column names: its bin edges (the first bin starts at a multiple of binWidth), its
// default aggregation (texture features averaged over the 13 directions in 3D), kurtosis without
// the -3, energy with voxelArrayShift, and names such as original_glcm_JointEnergy.
#include <string>
#include <vector>

#include "core/image.h"
#include "encoders/radiomics/extractor.h"
#include "encoders/radiomics/feature.h"

namespace vbiopsy::encoders::radiomics {

// Features of the classes PyRadiomics enables by default: shape (shape2D for one slice),
// firstorder, glcm, glrlm, glszm, ngtdm, gldm, for the original and each filtered image. Column
// names are PyRadiomics' ("original_glcm_Idmn", "wavelet-LLH_firstorder_Mean"): family is the image
// type, name "<class>_<Feature>".
// The settings are the engine's own (settings.h), read the PyRadiomics way: binWidth or binCount,
// voxelArrayShift, force2D, weightingNorm, normalize(Scale), resegment*, resampledPixelSpacing with
// padDistance (B-spline image, nearest-neighbour mask), the image types, and threads (image types in
// parallel; the values do not depend on it). Resampled values are cast to stored_pixel_type, the
// image's type on disk, as PyRadiomics does.
FeatureList pyradiomics_features(const core::Image& image, const core::Mask& mask, const ExtractionSettings& settings,
                                 const std::string& stored_pixel_type = "float");

}  // namespace vbiopsy::encoders::radiomics
