#include "modalities/mask_loading.h"

#include "core/error.h"
#include "modalities/image_io.h"
#include "modalities/other_formats.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;

core::Mask load_mask_for(const fs::path& mask_path, const core::Image& image, const fs::path& image_path) {
  std::optional<core::Mask> placed;
  if (file_kind(mask_path) == FileKind::kDicom && !fs::is_directory(mask_path))
    placed = other_formats(mask_path).read_dicom_mask(mask_path, image.geometry);
  core::Mask mask = placed ? std::move(*placed) : read_mask(mask_path);
  const bool picture = file_kind(mask_path) == FileKind::kRaster;
  if (picture && mask.geometry.size == image.geometry.size) mask.geometry = image.geometry;
  require_same_grid(image.geometry, image_path, mask.geometry, mask_path);
  if (core::count_nonzero(mask) == 0) core::fail("mask ", mask_path.string(), " is empty (no voxel set)");
  return mask;
}

}  // namespace vbiopsy::modalities
