#include "encoders/radiomics/regions.h"

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

}  // namespace vbiopsy::encoders::radiomics
