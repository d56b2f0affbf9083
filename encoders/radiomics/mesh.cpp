#include "encoders/radiomics/mesh.h"

#include <itkBinaryMask3DMeshSource.h>
#include <itkImage.h>
#include <itkMesh.h>

#include <cmath>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {

Mesh mesh_of_mask(const std::vector<uint8_t>& mask, const std::array<size_t, 3>& size,
                  const std::array<double, 3>& spacing) {
  using MaskImage = itk::Image<unsigned char, 3>;
  using TriangleMesh = itk::Mesh<double, 3>;
  // Padded by one empty voxel on every side so that the surface closes at the crop's border.
  auto image = MaskImage::New();
  MaskImage::RegionType region;
  MaskImage::SpacingType itk_spacing;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, size[a] + 2);
    itk_spacing[a] = spacing[a];
  }
  image->SetRegions(region);
  image->SetSpacing(itk_spacing);
  image->Allocate();
  image->FillBuffer(0);
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y)
      for (size_t x = 0; x < size[0]; ++x)
        if (mask[x + size[0] * (y + size[1] * z)])
          image->SetPixel({{long(x + 1), long(y + 1), long(z + 1)}}, 1);
  auto source = itk::BinaryMask3DMeshSource<MaskImage, TriangleMesh>::New();
  source->SetInput(image);
  source->SetObjectValue(1);
  try {
    source->Update();
  } catch (const itk::ExceptionObject& e) {
    core::fail("marching cubes failed: ", e.GetDescription());
  }
  TriangleMesh* itk_mesh = source->GetOutput();
  Mesh mesh;
  for (auto it = itk_mesh->GetPoints()->Begin(); it != itk_mesh->GetPoints()->End(); ++it)
    mesh.vertices.push_back({it.Value()[0], it.Value()[1], it.Value()[2]});
  double signed_volume = 0;
  for (auto it = itk_mesh->GetCells()->Begin(); it != itk_mesh->GetCells()->End(); ++it) {
    const auto* cell = it.Value();
    if (cell->GetNumberOfPoints() != 3) continue;
    const auto* ids = cell->PointIdsBegin();
    const auto a = itk_mesh->GetPoint(ids[0]), b = itk_mesh->GetPoint(ids[1]), c = itk_mesh->GetPoint(ids[2]);
    signed_volume += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                      a[2] * (b[0] * c[1] - b[1] * c[0])) / 6.0;
    const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const double v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    mesh.area += 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    ++mesh.triangles;
  }
  mesh.volume = std::abs(signed_volume);
  return mesh;
}

}  // namespace vbiopsy::encoders::radiomics
