#pragma once
// Morphological features (IBSI 3.1) from the mesh of the morphological mask, the voxel positions
// (PCA axes), and the intensities inside the ROI (centre of mass shift, integrated intensity,
// Moran's I, Geary's C).
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/mesh.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

// with_autocorrelation false skips Moran's I and Geary's C (autocorrelation.h; NaN then).
// mesh_out, when given, receives the surface mesh so that callers need not build it again.
FeatureList morphology(const Roi& roi, bool with_autocorrelation = true, Mesh* mesh_out = nullptr,
                       MeshStyle style = MeshStyle::kClosed);

}  // namespace vbiopsy::encoders::radiomics
