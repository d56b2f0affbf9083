#pragma once
// DICOM (read through DCMTK) and pictures (OpenCV) behind one table of functions. Their libraries
// and what they pull in (libxml2, ICU, BLAS, TBB, X11: about 35 shared libraries) cost tens of
// milliseconds at every start of a program that links them, even when it never reads such a file.
// The readers that the volumes-only program (vbiopsy-radiomics: radiomics and filters of NIfTI,
// NRRD and MetaImage files) shares with the others (image_io, mask_loading, extraction's
// select_region) reach DICOM and pictures only through this table, so that program links neither
// library. Programs that read DICOM or pictures call link_dicom_and_pictures() (dicom_and_pictures.h)
// once, first in main; in a program that did not, such a file is an error naming it.
#include <filesystem>
#include <optional>
#include <string>

#include "core/image.h"

namespace vbiopsy::modalities {

struct OtherFormats {
  // A DICOM volume: a single- or multi-frame file, or a folder holding one series.
  core::Image (*read_dicom_volume)(const std::filesystem::path& path) = nullptr;
  // A DICOM Segmentation or RT Structure Set placed on the grid; nullopt for other DICOM objects.
  std::optional<core::Mask> (*read_dicom_mask)(const std::filesystem::path& path, const core::Geometry& grid) = nullptr;
  // The number of the segment of a DICOM Segmentation whose SegmentLabel is `label` (ignoring
  // case); an error listing its segments when none is, or when the file is no Segmentation.
  int (*dicom_segment_number)(const std::filesystem::path& path, const std::string& label) = nullptr;
  // A picture (PNG, JPEG, BMP, TIFF, PGM) as a one-slice grey image with 1 mm pixels.
  core::Image (*read_picture)(const std::filesystem::path& path) = nullptr;
  // A mask picture, colour ones included (see picture_io.h).
  core::Image (*read_picture_mask)(const std::filesystem::path& path) = nullptr;
  // Written atomically: 16-bit grey (values rounded and clamped to 0-65535), 8-bit labels.
  void (*write_picture)(const core::Image& image, const std::filesystem::path& path) = nullptr;
  void (*write_picture_mask)(const core::Mask& mask, const std::filesystem::path& path) = nullptr;
};

void register_other_formats(const OtherFormats& formats);
// The registered table; when none is, an error saying that this program cannot read `path`.
const OtherFormats& other_formats(const std::filesystem::path& path);

// The error for setting.segment given with a mask that is no DICOM Segmentation.
[[noreturn]] void fail_not_a_segmentation(const std::filesystem::path& mask, const std::string& segment);

}  // namespace vbiopsy::modalities
