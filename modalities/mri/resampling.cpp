#include "modalities/mri/resampling.h"

#include <itkLinearInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>

#include "modalities/itk_bridge.h"

namespace vbiopsy::modalities::mri {

core::Image resample_to_grid(const core::Image& image, const core::Geometry& grid) {
  if (core::describe_grid_mismatch(image.geometry, grid).empty()) return image;
  using Interpolator = itk::LinearInterpolateImageFunction<itk::Image<float, 3>, double>;
  core::Image out(grid);
  out.voxels = itk_bridge::resample<float, Interpolator>(image.geometry, image.voxels, grid, Interpolator::New());
  return out;
}

core::Mask resample_mask_to_grid(const core::Mask& mask, const core::Geometry& grid) {
  if (core::describe_grid_mismatch(mask.geometry, grid).empty()) return mask;
  using Interpolator = itk::NearestNeighborInterpolateImageFunction<itk::Image<uint8_t, 3>, double>;
  core::Mask out(grid);
  out.voxels = itk_bridge::resample<uint8_t, Interpolator>(mask.geometry, mask.voxels, grid, Interpolator::New());
  return out;
}

}  // namespace vbiopsy::modalities::mri
