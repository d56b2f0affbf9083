#include "modalities/other_formats.h"

#include "core/error.h"

namespace vbiopsy::modalities {
namespace {

OtherFormats& registered() {
  static OtherFormats formats;
  return formats;
}

}  // namespace

void register_other_formats(const OtherFormats& formats) { registered() = formats; }

const OtherFormats& other_formats(const std::filesystem::path& path) {
  const auto& formats = registered();
  if (!formats.read_dicom_volume)
    core::fail(path.string(),
               ": this program reads NIfTI, NRRD and MetaImage files only; DICOM and pictures are read when it is "
               "started through `vbiopsy`, which runs the program that reads them");
  return formats;
}

void fail_not_a_segmentation(const std::filesystem::path& mask, const std::string& segment) {
  core::fail(mask.string(), ": setting.segment = '", segment,
             "' picks a segment of a DICOM Segmentation by its label, but this mask is not one (use setting.label "
             "for label images)");
}

}  // namespace vbiopsy::modalities
