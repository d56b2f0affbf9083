#pragma once
// DICOM series: a folder is scanned and grouped by SeriesInstanceUID; slices become a volume sorted
// along the slice normal by ImagePositionPatient (never by InstanceNumber), with the spacing
// measured from the positions and the direction from ImageOrientationPatient.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "modalities/dicom/dicom_file.h"

namespace vbiopsy::modalities::dicom {

struct SeriesInfo {
  std::string series_uid;
  std::string description;
  std::string modality;
  std::optional<int> number;
  std::optional<double> first_time_s;        // earliest AcquisitionTime, to order separate-series phases
  std::vector<std::filesystem::path> files;  // sorted by name, for a stable order
};

// Every DICOM series under folder (recursively). Unreadable files other than DICOMDIR and
// dotfiles are errors, so that a broken slice is never silently left out.
std::vector<SeriesInfo> scan_folder(const std::filesystem::path& folder);

// A single volume from a file (single- or multi-frame) or a folder holding exactly one series.
core::Image load_volume(const std::filesystem::path& path);

struct Phase {
  core::Image image;
  std::optional<double> repetition_time_ms, flip_angle_deg;  // from the phase's first slice
  std::optional<double> time_s;                              // acquisition time relative to the first phase
  std::optional<double> b_value;
};

enum class PhaseKey { kTime, kBValue };
// Several volumes of one acquisition: DCE phases (grouped by TemporalPositionIdentifier/Index,
// else by AcquisitionTime, else one phase per series when the folder holds several series) or DWI
// b-values (grouped by DiffusionBValue). Phases are sorted by time or b-value.
std::vector<Phase> load_phases(const std::filesystem::path& path, PhaseKey key);

// Slices (frames) to a volume; exposed for tests and for the RTSTRUCT reference grid.
struct Slice {
  DicomFrame frame;
  size_t rows = 0, columns = 0;
  std::optional<double> thickness;
  std::optional<double> repetition_time_ms, flip_angle_deg;
  std::string source;  // "file" or "file frame 3", for messages
  std::string file;    // the file the slice came from
};
core::Image assemble_volume(std::vector<Slice> slices, const std::string& label);

}  // namespace vbiopsy::modalities::dicom
