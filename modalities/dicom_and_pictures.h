#pragma once
// Registers the DICOM and picture readers and writers (DCMTK, OpenCV) with other_formats.h. Every
// program that reads DICOM or pictures calls it once, first in main; linking it links DCMTK and
// OpenCV, which is what the volumes-only program avoids.
namespace vbiopsy::modalities {

void link_dicom_and_pictures();

}  // namespace vbiopsy::modalities
