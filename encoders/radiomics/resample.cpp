#include "encoders/radiomics/resample.h"

#include <itkBSplineInterpolateImageFunction.h>
#include <itkLinearInterpolateImageFunction.h>

#include <cmath>

#include "core/error.h"
#include "core/memory_budget.h"
#include "encoders/radiomics/roi.h"
#include "modalities/itk_bridge.h"

namespace vbiopsy::encoders::radiomics {
namespace {

std::vector<float> resample(const core::Geometry& from, const std::vector<float>& voxels, const core::Geometry& to,
                            Interpolation how) {
  using FloatImage = itk::Image<float, 3>;
  namespace bridge = modalities::itk_bridge;
  if (how == Interpolation::kBSpline) {
    using Spline = itk::BSplineInterpolateImageFunction<FloatImage, double, double>;
    auto spline = Spline::New();
    spline->SetSplineOrder(3);
    return bridge::resample<float, Spline>(from, voxels, to, spline);
  }
  using Linear = itk::LinearInterpolateImageFunction<FloatImage, double>;
  return bridge::resample<float, Linear>(from, voxels, to, Linear::New());
}

}  // namespace

void require_resampling_budget(const std::array<double, 3>& size, const std::array<double, 3>& spacing) {
  // The resampled image, its region's partial-volume fractions and mask, and ITK's own buffers.
  constexpr double kBytesPerVoxel = 4 + 4 + 1 + 8;
  core::require_within_memory_budget(
      size[0] * size[1] * size[2] * kBytesPerVoxel,
      core::concat("resampling to ", spacing[0], " x ", spacing[1], " x ", spacing[2],
                   " mm (setting.resampledPixelSpacing), a ", size[0], " x ", size[1], " x ", size[2], " grid,"));
}

core::Geometry ibsi_resampled_grid(const core::Geometry& grid, const std::array<double, 3>& spacing) {
  core::Geometry out = grid;
  std::array<double, 3> shift{}, size{};
  for (int a = 0; a < 3; ++a) {
    if (!(spacing[a] > 0) || !std::isfinite(spacing[a]))
      core::fail("resampled spacing ", spacing[a], " mm must be finite and positive");
    size[a] = std::ceil(double(grid.size[a]) * grid.spacing[a] / spacing[a]);
  }
  require_resampling_budget(size, spacing);
  for (int a = 0; a < 3; ++a) {
    out.spacing[a] = spacing[a];
    out.size[a] = size_t(size[a]);
    // Centre alignment: shift (in mm, along index axis a) of the new first voxel centre.
    shift[a] = (grid.spacing[a] * double(grid.size[a] - 1) - spacing[a] * double(out.size[a] - 1)) / 2;
  }
  out.origin =
      grid.index_to_physical(shift[0] / grid.spacing[0], shift[1] / grid.spacing[1], shift[2] / grid.spacing[2]);
  return out;
}

std::pair<core::Image, core::Mask> resample_ibsi(const core::Image& image, const core::Mask& mask, int label,
                                                 const std::array<double, 3>& spacing, Interpolation interpolation) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, mask.geometry);
  if (!mismatch.empty()) core::fail("mask does not match the image grid: ", mismatch);
  const core::Geometry grid = ibsi_resampled_grid(image.geometry, spacing);
  core::Image resampled(grid);
  resampled.voxels = resample(image.geometry, image.voxels, grid, interpolation);
  std::vector<float> region(mask.voxels.size());
  for (size_t i = 0; i < region.size(); ++i) region[i] = in_label(mask.voxels[i], label) ? 1.0f : 0.0f;
  const auto fraction = resample(mask.geometry, region, grid, Interpolation::kLinear);
  core::Mask resampled_mask(grid);
  for (size_t i = 0; i < fraction.size(); ++i) resampled_mask.voxels[i] = fraction[i] >= 0.5f ? 1 : 0;
  return {resampled, resampled_mask};
}

}  // namespace vbiopsy::encoders::radiomics
