#pragma once
// Texture families with IBSI's aggregation methods. Slices are planes of constant z (the third
// image axis); distances are Chebyshev distance 1.
//   GLCM, GLRLM: "2D, averaged", "2D, slice-merged", "2.5D, direction-merged", "2.5D, merged",
//                "3D, averaged", "3D, merged"
//   GLSZM, GLDZM, NGTDM, NGLDM: "2D", "2.5D", "3D"
#include <set>
#include <string>

#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

// The aggregations to compute, named as the features carry them ("3D, averaged", "2D", ...); empty:
// all of the family's. The others are neither computed nor listed.
using Aggregations = std::set<std::string>;

// Each family's names (feature.h), in the order its features come.
const FeatureNames& glcm_names();
const FeatureNames& glrlm_names();
const FeatureNames& glszm_names();
const FeatureNames& gldzm_names();
const FeatureNames& ngtdm_names();
const FeatureNames& ngldm_names();

FeatureList glcm_features(const Roi& roi, const Aggregations& only = {});
FeatureList glrlm_features(const Roi& roi, const Aggregations& only = {});
FeatureList glszm_features(const Roi& roi, const Aggregations& only = {});
FeatureList gldzm_features(const Roi& roi, const Aggregations& only = {});
FeatureList ngtdm_features(const Roi& roi, const Aggregations& only = {});
FeatureList ngldm_features(const Roi& roi, const Aggregations& only = {});

// For the PyRadiomics convention: IBSI's 25 GLCM features (glcm_names order) followed by the maximal correlation
// coefficient, for the 13 directions averaged ("3D, averaged"), merged ("3D, merged") or the 4
// in-plane directions over all slices averaged ("2.5D, direction-merged").
enum class GlcmAggregation { kAveraged3d, kMerged3d, kInPlaneDirectionsAveraged };
std::vector<double> glcm_with_mcc(const Roi& roi, GlcmAggregation aggregation);

}  // namespace vbiopsy::encoders::radiomics
