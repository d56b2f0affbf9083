#include "modalities/mri/resampling.h"

#include <itkImage.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

namespace vbiopsy::modalities::mri {
namespace {

template <typename Pixel>
typename itk::Image<Pixel, 3>::Pointer to_itk(const core::Geometry& g, const std::vector<Pixel>& voxels) {
  using ItkImage = itk::Image<Pixel, 3>;
  auto image = ItkImage::New();
  typename ItkImage::RegionType region;
  typename ItkImage::SpacingType spacing;
  typename ItkImage::PointType origin;
  typename ItkImage::DirectionType direction;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, g.size[a]);
    spacing[a] = g.spacing[a];
    origin[a] = g.origin[a];
    for (int b = 0; b < 3; ++b) direction[a][b] = g.direction[3 * a + b];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  std::copy(voxels.begin(), voxels.end(), image->GetBufferPointer());
  return image;
}

template <typename Pixel, typename Interpolator>
std::vector<Pixel> resample(const core::Geometry& from, const std::vector<Pixel>& voxels, const core::Geometry& to) {
  using ItkImage = itk::Image<Pixel, 3>;
  auto filter = itk::ResampleImageFilter<ItkImage, ItkImage, double>::New();
  filter->SetInput(to_itk<Pixel>(from, voxels));
  filter->SetInterpolator(Interpolator::New());
  typename ItkImage::SizeType size;
  typename ItkImage::SpacingType spacing;
  typename ItkImage::PointType origin;
  typename ItkImage::DirectionType direction;
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
  const Pixel* out = filter->GetOutput()->GetBufferPointer();
  return std::vector<Pixel>(out, out + to.voxel_count());
}

}  // namespace

core::Image resample_to_grid(const core::Image& image, const core::Geometry& grid) {
  if (core::describe_grid_mismatch(image.geometry, grid).empty()) return image;
  using Interpolator = itk::LinearInterpolateImageFunction<itk::Image<float, 3>, double>;
  core::Image out(grid);
  out.voxels = resample<float, Interpolator>(image.geometry, image.voxels, grid);
  return out;
}

core::Mask resample_mask_to_grid(const core::Mask& mask, const core::Geometry& grid) {
  if (core::describe_grid_mismatch(mask.geometry, grid).empty()) return mask;
  using Interpolator = itk::NearestNeighborInterpolateImageFunction<itk::Image<uint8_t, 3>, double>;
  core::Mask out(grid);
  out.voxels = resample<uint8_t, Interpolator>(mask.geometry, mask.voxels, grid);
  return out;
}

}  // namespace vbiopsy::modalities::mri
