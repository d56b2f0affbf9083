#include "modalities/dicom_and_pictures.h"

#include "core/error.h"
#include "core/strings.h"
#include "modalities/dicom/dicom_file.h"
#include "modalities/dicom/dicom_series.h"
#include "modalities/dicom/rtstruct.h"
#include "modalities/dicom/segmentation.h"
#include "modalities/other_formats.h"
#include "modalities/picture_io.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;

namespace {

std::optional<core::Mask> read_dicom_mask(const fs::path& path, const core::Geometry& grid) {
  const std::string sop = dicom::sop_class_of(path);
  if (sop == dicom::kSegmentationStorageUid) return dicom::read_segmentation(path, grid);
  if (sop == dicom::kRtStructureSetStorageUid) return dicom::rasterise_rtstruct(path, grid);
  return std::nullopt;
}

int dicom_segment_number(const fs::path& path, const std::string& label) {
  if (dicom::sop_class_of(path) != dicom::kSegmentationStorageUid) fail_not_a_segmentation(path, label);
  std::vector<std::string> known;
  for (const auto& segment : dicom::segmentation_segments(path)) {
    if (core::to_lower(segment.label) == core::to_lower(label)) return segment.number;
    known.push_back(core::concat(segment.number, " '", segment.label, "'"));
  }
  core::fail(path.string(), ": no segment labelled '", label,
             "' (setting.segment); its segments: ", core::join(known, ", "));
}

}  // namespace

void link_dicom_and_pictures() {
  OtherFormats formats;
  formats.read_dicom_volume = [](const fs::path& path) { return dicom::load_volume(path); };
  formats.read_dicom_mask = read_dicom_mask;
  formats.dicom_segment_number = dicom_segment_number;
  formats.read_picture = read_picture;
  formats.read_picture_mask = read_picture_mask;
  formats.write_picture = write_picture;
  formats.write_picture_mask = write_picture_mask;
  register_other_formats(formats);
}

}  // namespace vbiopsy::modalities
