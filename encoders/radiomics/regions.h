#pragma once
// Regions that radiomics is computed in besides the tumour mask itself: peritumoral rings at a
// physical distance, one label of a label map (the MRI habitats), and their intersection with a
// body/breast mask.
#include <string>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics {

// Voxels outside the tumour whose centre lies within distance_mm of a tumour voxel centre
// (exact Euclidean distance in mm, anisotropic spacing respected). With a body mask, only voxels
// inside it are kept. Throws core::Error for an empty tumour, a non-positive distance or grids that
// do not match.
core::Mask peritumoral_ring(const core::Mask& tumour, double distance_mm, const core::Mask* body = nullptr);

// The voxels equal to label, as a 0/1 mask; throws when the label does not occur.
core::Mask label_region(const core::Mask& labels, int label);

// A second segmentation for reproducibility (ICC) analysis, as the volume adaptation of image
// perturbation studies (Zwanenburg et al., Sci Rep 2019): the region grown ("dilate") or shrunk ("erode") by one voxel
// across faces (6-neighbourhood in 3D, 4 in 2D). May be empty after erosion of a thin region.
core::Mask perturbed_segmentation(const core::Mask& region, const std::string& how);

}  // namespace vbiopsy::encoders::radiomics
