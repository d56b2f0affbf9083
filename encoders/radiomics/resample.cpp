#include "encoders/radiomics/resample.h"

#include <itkBSplineInterpolateImageFunction.h>
#include <itkImage.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

#include <cmath>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {
namespace {

using FloatImage = itk::Image<float, 3>;

FloatImage::Pointer to_itk(const core::Geometry& g, const float* voxels) {
  auto out = FloatImage::New();
  FloatImage::RegionType region;
  FloatImage::SpacingType spacing;
  FloatImage::PointType origin;
  FloatImage::DirectionType direction;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, g.size[a]);
    spacing[a] = g.spacing[a];
    origin[a] = g.origin[a];
    for (int b = 0; b < 3; ++b) direction[a][b] = g.direction[3 * a + b];
  }
  out->SetRegions(region);
  out->SetSpacing(spacing);
  out->SetOrigin(origin);
  out->SetDirection(direction);
  out->Allocate();
  std::copy_n(voxels, g.voxel_count(), out->GetBufferPointer());
  return out;
}

std::vector<float> resample(const core::Geometry& from, const float* voxels, const core::Geometry& to, Interpolation how) {
  auto filter = itk::ResampleImageFilter<FloatImage, FloatImage, double>::New();
  filter->SetInput(to_itk(from, voxels));
  if (how == Interpolation::kBSpline) {
    auto spline = itk::BSplineInterpolateImageFunction<FloatImage, double, double>::New();
    spline->SetSplineOrder(3);
    filter->SetInterpolator(spline);
  } else {
    filter->SetInterpolator(itk::LinearInterpolateImageFunction<FloatImage, double>::New());
  }
  FloatImage::SizeType size;
  FloatImage::SpacingType spacing;
  FloatImage::PointType origin;
  FloatImage::DirectionType direction;
  for (int a = 0; a < 3; ++a) {
    size[a] = to.size[a];
    spacing[a] = to.spacing[a];
    origin[a] = to.origin[a];
    for (int b = 0; b < 3; ++b) direction[a][b] = to.direction[3 * a + b];
  }
  filter->SetSize(size);
  filter->SetOutputSpacing(spacing);
  filter->SetOutputOrigin(origin);
  filter->SetOutputDirection(direction);
  filter->SetDefaultPixelValue(0);
  filter->SetNumberOfWorkUnits(1);
  filter->Update();
  const float* out = filter->GetOutput()->GetBufferPointer();
  return std::vector<float>(out, out + to.voxel_count());
}

}  // namespace

core::Geometry ibsi_resampled_grid(const core::Geometry& grid, const std::array<double, 3>& spacing) {
  core::Geometry out = grid;
  std::array<double, 3> shift{};
  for (int a = 0; a < 3; ++a) {
    if (!(spacing[a] > 0)) core::fail("resampled spacing ", spacing[a], " mm must be positive");
    out.spacing[a] = spacing[a];
    out.size[a] = size_t(std::ceil(double(grid.size[a]) * grid.spacing[a] / spacing[a]));
    // Centre alignment: shift (in mm, along index axis a) of the new first voxel centre.
    shift[a] = (grid.spacing[a] * double(grid.size[a] - 1) - spacing[a] * double(out.size[a] - 1)) / 2;
  }
  out.origin = grid.index_to_physical(shift[0] / grid.spacing[0], shift[1] / grid.spacing[1], shift[2] / grid.spacing[2]);
  return out;
}

std::pair<core::Image, core::Mask> resample_ibsi(const core::Image& image, const core::Mask& mask, int label,
                                                 const std::array<double, 3>& spacing, Interpolation interpolation) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, mask.geometry);
  if (!mismatch.empty()) core::fail("mask does not match the image grid: ", mismatch);
  const core::Geometry grid = ibsi_resampled_grid(image.geometry, spacing);
  core::Image resampled(grid);
  resampled.voxels = resample(image.geometry, image.voxels.data(), grid, interpolation);
  std::vector<float> region(mask.voxels.size());
  for (size_t i = 0; i < region.size(); ++i) region[i] = mask.voxels[i] == label ? 1.0f : 0.0f;
  const auto fraction = resample(mask.geometry, region.data(), grid, Interpolation::kLinear);
  core::Mask resampled_mask(grid);
  for (size_t i = 0; i < fraction.size(); ++i) resampled_mask.voxels[i] = fraction[i] >= 0.5f ? 1 : 0;
  return {resampled, resampled_mask};
}

}  // namespace vbiopsy::encoders::radiomics
