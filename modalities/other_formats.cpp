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

}  // namespace vbiopsy::modalities
