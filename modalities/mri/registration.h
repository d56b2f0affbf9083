#pragma once
// Optional rigid registration between MRI sequences (patient motion between T2/DWI and DCE):
// ITK's v4 registration with Mattes mutual information (works across contrasts), a centred Euler
// rigid transform initialised at the images' geometric centres, and regular-step gradient descent
// over a multi-resolution pyramid. Deterministic: fixed sampling (all voxels) and one thread.
#include <array>

#include "core/image.h"

namespace vbiopsy::modalities::mri {

struct RigidRegistration {
  std::array<double, 3> rotation_rad{0, 0, 0};  // Euler angles about x, y, z
  std::array<double, 3> translation_mm{0, 0, 0};
  double final_metric = 0;  // Mattes MI (negative: lower is better)
  unsigned iterations = 0;
  core::Image moved;  // the moving image resampled onto the fixed grid
};

// Non-finite voxels of either image (an ADC map's failed fits) enter as 0.
RigidRegistration register_rigid(const core::Image& fixed, const core::Image& moving);

}  // namespace vbiopsy::modalities::mri
