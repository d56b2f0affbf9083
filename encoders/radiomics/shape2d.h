#pragma once
// 2D shape of a single-slice region (mammography, ultrasound, one MRI slice), as PyRadiomics'
// shape2D class defines it: the contour is traced by marching squares through edge midpoints.
// Names: MeshSurface, PixelSurface, Perimeter, PerimeterSurfaceRatio, Sphericity,
// MaximumDiameter, MajorAxisLength, MinorAxisLength, Elongation.
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

// Throws core::Error when the region spans more than one slice. family is "shape2D".
FeatureList shape2d_features(const Roi& roi);

}  // namespace vbiopsy::encoders::radiomics
