#pragma once
// One DICOM object read with DCMTK: its frames as grey values after the modality transform
// (RescaleSlope/Intercept; MONOCHROME1 inverted so that brighter is always larger; RGB to grey),
// and the per-frame geometry and timing that series assembly needs.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vbiopsy::modalities::dicom {

struct DicomFrame {
  std::vector<float> pixels;                           // rows * columns, row-major
  std::optional<std::array<double, 3>> position;       // ImagePositionPatient (mm)
  std::optional<std::array<double, 6>> orientation;    // ImageOrientationPatient
  std::optional<std::array<double, 2>> pixel_spacing;  // mm between rows, between columns
  std::optional<int> temporal_position;                // TemporalPositionIdentifier / Index
  std::optional<double> acquisition_time_s;            // seconds since midnight
  std::optional<double> b_value;                       // DiffusionBValue, s/mm^2
};

struct DicomObject {
  std::filesystem::path file;
  std::string transfer_syntax;  // name, e.g. "JPEG-LS Lossless"
  std::string sop_class_uid, study_uid, series_uid, modality, series_description;
  std::optional<int> series_number;
  std::string photometric;  // as stored, before our conversion
  size_t rows = 0, columns = 0;
  std::optional<double> slice_thickness;
  std::optional<double> repetition_time_ms;  // RepetitionTime (0018,0080)
  std::optional<double> flip_angle_deg;      // FlipAngle (0018,1314)
  std::string laterality;                    // ImageLaterality, else Laterality ("L"/"R")
  std::string view_position;                 // ViewPosition ("CC", "MLO", ...)
  // From SequenceOfUltrasoundRegions when its units are cm: mm per pixel along x and y.
  std::optional<std::array<double, 2>> ultrasound_spacing;
  // Where the pixel spacing came from ("PixelSpacing", "ImagerPixelSpacing / Estimated...
  // MagnificationFactor 1.08", "SequenceOfUltrasoundRegions ..."); empty when the file gives none.
  std::string spacing_source;
  std::vector<DicomFrame> frames;
};

// Registers DCMTK's JPEG, JPEG-LS and RLE decoders once (thread-safe).
void register_codecs();

// Reads a file. With pixels == false only the header is parsed (for scanning folders).
// Throws core::Error naming the file and what is wrong; never crashes on a malformed file.
DicomObject read_dicom(const std::filesystem::path& file, bool pixels = true);

// The SOP class UID of a DICOM file (header only), or empty when it is not readable DICOM.
std::string sop_class_of(const std::filesystem::path& file);

// True when the file has the DICOM preamble and "DICM" magic (or parses as a raw dataset).
bool looks_like_dicom(const std::filesystem::path& file);

}  // namespace vbiopsy::modalities::dicom
