#pragma once
// The radiomics engine's entry point: one image and mask in, every enabled family out.
#include <set>
#include <string>

#include "core/image.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

struct ExtractionSettings {
  int label = 1;
  DiscretisationSettings discretisation;
  // Families to compute: "morph", "li", "stats", "ih", "ivh", "glcm", "glrlm", "glszm", "gldzm",
  // "ngtdm", "ngldm". Empty: all.
  std::set<std::string> families;
  double voxel_array_shift = 0;  // PyRadiomics' energy shift; used only by the PyRadiomics convention
};

FeatureList extract_features(const core::Image& image, const core::Mask& mask,
                             const ExtractionSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
