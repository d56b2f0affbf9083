#pragma once
// Writes DICOM objects as scanners do (uint16 stored values with RescaleSlope/Intercept), for the
// synthetic cohort and for tests. UIDs are passed in, so the same seed gives the same bytes.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::dicom {

struct DicomWriteInfo {
  std::string sop_class_uid;  // e.g. UID_MRImageStorage
  std::string modality;       // "MR", "MG", "US"
  std::string patient_id, study_uid, series_uid, series_description;
  int series_number = 1;
  std::string photometric = "MONOCHROME2";  // MONOCHROME1 stores inverted values; RGB stores grey x3
  double rescale_slope = 1, rescale_intercept = 0;
  int bits_stored = 16;
  std::string laterality, view_position;  // mammography
  std::optional<int> temporal_position;
  std::optional<double> acquisition_time_s;  // seconds since midnight
  std::optional<double> b_value;
  std::optional<double> repetition_time_ms, flip_angle_deg;
  bool ultrasound_regions = false;  // write SequenceOfUltrasoundRegions from the image spacing
};

// An "2.25.<decimal>" UID from a 128-bit value derived from the given text.
std::string make_uid(const std::string& seed_text);

// One slice k of a volume as a single-frame object (ImagePositionPatient of that slice).
void write_dicom_slice(const core::Image& volume, size_t k, int instance_number, const DicomWriteInfo& info,
                       const std::filesystem::path& file);
// 2D frames as one (multi-frame when more than one) object.
void write_dicom_frames(const std::vector<core::Image>& frames, const DicomWriteInfo& info,
                        const std::filesystem::path& file);

}  // namespace vbiopsy::modalities::dicom
