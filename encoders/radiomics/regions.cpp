#include "encoders/radiomics/regions.h"

#include <array>

#include <itkImage.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include "core/error.h"
#include "modalities/itk_bridge.h"

namespace vbiopsy::encoders::radiomics {

core::Mask peritumoral_ring(const core::Mask& tumour, double distance_mm, const core::Mask* body) {
  if (!(distance_mm > 0)) core::fail("peritumoral ring distance ", distance_mm, " mm must be positive");
  if (core::count_nonzero(tumour) == 0) core::fail("peritumoral ring: the tumour mask is empty");
  if (body) {
    const std::string mismatch = core::describe_grid_mismatch(tumour.geometry, body->geometry);
    if (!mismatch.empty()) core::fail("body mask does not match the tumour mask's grid: ", mismatch);
  }
  using MaskImage = itk::Image<unsigned char, 3>;
  using DistanceImage = itk::Image<float, 3>;
  const auto& g = tumour.geometry;
  std::vector<uint8_t> binary(tumour.voxels.size());
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = tumour.voxels[i] ? 1 : 0;
  auto image = modalities::itk_bridge::to_itk<uint8_t>(g, binary.data());
  auto distance = itk::SignedMaurerDistanceMapImageFilter<MaskImage, DistanceImage>::New();
  distance->SetInput(image);
  distance->SetUseImageSpacing(true);
  distance->SetSquaredDistance(false);
  distance->SetInsideIsPositive(false);  // outside voxels get positive distances
  distance->SetBackgroundValue(0);
  try {
    distance->Update();
  } catch (const itk::ExceptionObject& e) {
    core::fail("distance map failed: ", e.GetDescription());
  }
  const float* d = distance->GetOutput()->GetBufferPointer();
  core::Mask ring(g);
  for (size_t i = 0; i < ring.voxels.size(); ++i) {
    // Maurer's map is signed distance to the object's edge voxels; outside voxels see the nearest
    // object voxel centre.
    const bool outside = tumour.voxels[i] == 0;
    ring.voxels[i] = outside && d[i] <= distance_mm + 1e-6 && (!body || body->voxels[i]) ? 1 : 0;
  }
  return ring;
}

core::Mask label_region(const core::Mask& labels, int label) {
  core::Mask region(labels.geometry);
  size_t count = 0;
  for (size_t i = 0; i < labels.voxels.size(); ++i) {
    region.voxels[i] = labels.voxels[i] == label;
    count += region.voxels[i];
  }
  if (count == 0) core::fail("label ", label, " does not occur in the label map");
  return region;
}

core::Mask perturbed_segmentation(const core::Mask& region, const std::string& how) {
  if (how != "dilate" && how != "erode") core::fail("segmentation perturbation '", how, "', expected dilate or erode");
  const bool grow = how == "dilate";
  const auto& size = region.geometry.size;
  core::Mask out(region.geometry);
  const int axes = size[2] > 1 ? 3 : 2;
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y)
      for (size_t x = 0; x < size[0]; ++x) {
        const bool inside = region.at(x, y, z) != 0;
        // Dilation: inside or any face neighbour inside. Erosion: inside and every face neighbour
        // inside (the image border counts as outside).
        bool result = inside;
        const std::array<size_t, 3> p{x, y, z};
        for (int a = 0; a < axes && result != grow; ++a)
          for (int step : {-1, 1}) {
            const long long q = static_cast<long long>(p[a]) + step;
            bool neighbour = false;
            if (q >= 0 && q < static_cast<long long>(size[a])) {
              auto r = p;
              r[a] = static_cast<size_t>(q);
              neighbour = region.at(r[0], r[1], r[2]) != 0;
            }
            if (grow && neighbour) result = true;
            if (!grow && !neighbour) result = false;
          }
        out.at(x, y, z) = result ? 1 : 0;
      }
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
