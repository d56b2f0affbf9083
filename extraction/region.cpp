#include "extraction/region.h"

#include "encoders/radiomics/roi.h"
#include "modalities/image_io.h"
#include "modalities/other_formats.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

core::Mask select_region(core::Mask mask, const fs::path& file,
                         const encoders::radiomics::ExtractionSettings& settings) {
  int label = settings.label;
  if (!settings.segment.empty()) {
    if (modalities::file_kind(file) != modalities::FileKind::kDicom || fs::is_directory(file))
      modalities::fail_not_a_segmentation(file, settings.segment);
    label = modalities::other_formats(file).dicom_segment_number(file, settings.segment);
  }
  encoders::radiomics::check_mask_label(mask, label, file.string());
  return encoders::radiomics::region_of(std::move(mask), label);
}

}  // namespace vbiopsy::extraction
