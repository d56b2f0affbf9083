#pragma once
// The one place where core::Image grids meet ITK: wrapping voxels as an itk::Image with the same
// geometry, and resampling onto another grid with a chosen interpolator. Header-only templates;
// include it only in .cpp files (ITK headers are heavy).
#include <itkImage.h>
#include <itkResampleImageFilter.h>

#include <algorithm>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::itk_bridge {

template <typename Pixel>
typename itk::Image<Pixel, 3>::Pointer to_itk(const core::Geometry& g, const Pixel* voxels) {
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
  std::copy_n(voxels, g.voxel_count(), image->GetBufferPointer());
  return image;
}

// Resamples voxels (of grid `from`) onto grid `to` by physical coordinates; points outside read 0.
// Output values are converted to Pixel as ITK's resampler does (clamped, truncated for integers).
template <typename Pixel, typename Interpolator>
std::vector<Pixel> resample(const core::Geometry& from, const std::vector<Pixel>& voxels, const core::Geometry& to,
                            typename Interpolator::Pointer interpolator) {
  using ItkImage = itk::Image<Pixel, 3>;
  auto filter = itk::ResampleImageFilter<ItkImage, ItkImage, double>::New();
  filter->SetInput(to_itk<Pixel>(from, voxels.data()));
  filter->SetInterpolator(interpolator);
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
  filter->SetNumberOfWorkUnits(1);  // one thread per resampling: cases run in parallel above
  filter->Update();
  const Pixel* out = filter->GetOutput()->GetBufferPointer();
  return std::vector<Pixel>(out, out + to.voxel_count());
}

}  // namespace vbiopsy::modalities::itk_bridge
