#include "modalities/dicom/dicom_writer.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/files.h"
#include "core/random.h"
#include "core/strings.h"
#include "modalities/dicom/dicom_file.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

std::string ds_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);  // DS holds at most 16 characters
  return buffer;
}

std::string tm_text(double seconds) {
  const int h = static_cast<int>(seconds / 3600), m = static_cast<int>(std::fmod(seconds, 3600) / 60);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d%02d%09.6f", h, m, std::fmod(seconds, 60.0));
  return buffer;
}

void put(DcmDataset* ds, const DcmTagKey& tag, const std::string& value) {
  if (ds->putAndInsertString(tag, value.c_str()).bad())
    fail("cannot set DICOM tag ", DcmTag(tag).getTagName(), " to '", value, "'");
}

void fill_common(DcmDataset* ds, const DicomWriteInfo& info, const std::string& sop_uid, int instance) {
  put(ds, DCM_SpecificCharacterSet, "ISO_IR 100");
  put(ds, DCM_SOPClassUID, info.sop_class_uid);
  put(ds, DCM_SOPInstanceUID, sop_uid);
  put(ds, DCM_StudyInstanceUID, info.study_uid);
  put(ds, DCM_SeriesInstanceUID, info.series_uid);
  put(ds, DCM_Modality, info.modality);
  put(ds, DCM_PatientID, info.patient_id);
  put(ds, DCM_PatientName, "SYNTHETIC^" + info.patient_id);
  put(ds, DCM_SeriesDescription, info.series_description);
  put(ds, DCM_SeriesNumber, std::to_string(info.series_number));
  put(ds, DCM_InstanceNumber, std::to_string(instance));
  put(ds, DCM_StudyDate, "20260101");
  if (!info.laterality.empty()) put(ds, DCM_ImageLaterality, info.laterality);
  if (!info.view_position.empty()) put(ds, DCM_ViewPosition, info.view_position);
  if (info.temporal_position) put(ds, DCM_TemporalPositionIdentifier, std::to_string(*info.temporal_position));
  if (info.acquisition_time_s) put(ds, DCM_AcquisitionTime, tm_text(*info.acquisition_time_s));
  if (info.b_value) ds->putAndInsertFloat64(DCM_DiffusionBValue, *info.b_value);
  if (info.repetition_time_ms) put(ds, DCM_RepetitionTime, ds_text(*info.repetition_time_ms));
  if (info.flip_angle_deg) put(ds, DCM_FlipAngle, ds_text(*info.flip_angle_deg));
  put(ds, DCM_RescaleSlope, ds_text(info.rescale_slope));
  put(ds, DCM_RescaleIntercept, ds_text(info.rescale_intercept));
}

// Stored uint16 values of one frame, after inverse rescale (and inversion for MONOCHROME1).
void append_stored(const float* values, size_t count, const DicomWriteInfo& info, std::vector<Uint16>& out) {
  const double max_stored = std::ldexp(1.0, info.bits_stored) - 1;
  for (size_t i = 0; i < count; ++i) {
    double stored = std::round((values[i] - info.rescale_intercept) / info.rescale_slope);
    stored = std::clamp(stored, 0.0, max_stored);
    if (info.photometric == "MONOCHROME1") stored = max_stored - stored;
    out.push_back(static_cast<Uint16>(stored));
  }
}

void fill_pixels(DcmDataset* ds, const DicomWriteInfo& info, size_t rows, size_t columns, size_t frames,
                 const std::vector<Uint16>& stored) {
  if (rows > 65535 || columns > 65535) fail("image of ", columns, "x", rows, " is too large for DICOM");
  ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(rows));
  ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(columns));
  if (frames > 1) put(ds, DCM_NumberOfFrames, std::to_string(frames));
  if (info.photometric == "RGB") {
    // Grey replicated into three interleaved 8-bit samples, as ultrasound scanners export.
    std::vector<Uint8> rgb;
    rgb.reserve(stored.size() * 3);
    for (Uint16 v : stored)
      for (int c = 0; c < 3; ++c) rgb.push_back(static_cast<Uint8>(std::min<Uint16>(v, 255)));
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 3);
    ds->putAndInsertUint16(DCM_PlanarConfiguration, 0);
    put(ds, DCM_PhotometricInterpretation, "RGB");
    ds->putAndInsertUint16(DCM_BitsAllocated, 8);
    ds->putAndInsertUint16(DCM_BitsStored, 8);
    ds->putAndInsertUint16(DCM_HighBit, 7);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    ds->putAndInsertUint8Array(DCM_PixelData, rgb.data(), rgb.size());
    return;
  }
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  put(ds, DCM_PhotometricInterpretation, info.photometric);
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(info.bits_stored));
  ds->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(info.bits_stored - 1));
  ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
  ds->putAndInsertUint16Array(DCM_PixelData, stored.data(), stored.size());
}

void save(DcmFileFormat& format, const fs::path& file) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  const fs::path temporary = core::temporary_sibling(file);
  OFCondition status = format.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
  if (status.bad()) {
    fs::remove(temporary);
    fail(file.string(), ": DCMTK cannot write it: ", status.text());
  }
  core::commit_temporary(temporary, file);
}

}  // namespace

std::string make_uid(const std::string& seed_text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a, then two mixed words
  for (unsigned char c : seed_text) h = (h ^ c) * 1099511628211ULL;
  const uint64_t hi = core::derive_seed(h, {1}) >> 2, lo = core::derive_seed(h, {2});
  // 2.25 UIDs are a decimal integer; hi:lo printed as two fixed-width parts stays below 64 chars.
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "2.25.%llu%020llu",
                static_cast<unsigned long long>(hi % 1000000000000000000ULL + 1),
                static_cast<unsigned long long>(lo % 10000000000000000000ULL));
  return buffer;
}

void write_dicom_slice(const core::Image& volume, size_t k, int instance_number, const DicomWriteInfo& info,
                       const fs::path& file) {
  const auto& g = volume.geometry;
  if (k >= g.size[2]) fail(file.string(), ": slice ", k, " outside a volume of ", g.size[2], " slices");
  DcmFileFormat format;
  DcmDataset* ds = format.getDataset();
  fill_common(ds, info, make_uid(info.series_uid + "/" + std::to_string(k) + "/" + std::to_string(instance_number)),
              instance_number);
  const auto position = g.index_to_physical(0, 0, static_cast<double>(k));
  put(ds, DCM_ImagePositionPatient, ds_text(position[0]) + "\\" + ds_text(position[1]) + "\\" + ds_text(position[2]));
  std::string orientation;
  for (int i = 0; i < 6; ++i) {
    const int row = i % 3, column = i / 3;  // IOP = (row direction, column direction)
    orientation += (i ? "\\" : "") + ds_text(g.direction[3 * row + column]);
  }
  put(ds, DCM_ImageOrientationPatient, orientation);
  put(ds, DCM_PixelSpacing, ds_text(g.spacing[1]) + "\\" + ds_text(g.spacing[0]));
  put(ds, DCM_SliceThickness, ds_text(g.spacing[2]));
  std::vector<Uint16> stored;
  const size_t per_slice = g.size[0] * g.size[1];
  append_stored(volume.voxels.data() + k * per_slice, per_slice, info, stored);
  fill_pixels(ds, info, g.size[1], g.size[0], 1, stored);
  save(format, file);
}

void write_dicom_frames(const std::vector<core::Image>& frames, const DicomWriteInfo& info, const fs::path& file) {
  if (frames.empty()) fail(file.string(), ": no frames to write");
  const auto& g = frames.front().geometry;
  DcmFileFormat format;
  DcmDataset* ds = format.getDataset();
  fill_common(ds, info, make_uid(info.series_uid + "/frames"), 1);
  if (info.modality == "MG") {
    put(ds, DCM_ImagerPixelSpacing, ds_text(g.spacing[1]) + "\\" + ds_text(g.spacing[0]));
  } else if (!info.ultrasound_regions) {
    put(ds, DCM_PixelSpacing, ds_text(g.spacing[1]) + "\\" + ds_text(g.spacing[0]));
  }
  if (info.ultrasound_regions) {
    DcmItem* region = nullptr;
    if (ds->findOrCreateSequenceItem(DCM_SequenceOfUltrasoundRegions, region, -2).bad() || !region)
      fail(file.string(), ": cannot create SequenceOfUltrasoundRegions");
    region->putAndInsertUint16(DCM_RegionSpatialFormat, 1);
    region->putAndInsertUint16(DCM_RegionDataType, 1);
    region->putAndInsertUint32(DCM_RegionLocationMinX0, 0);
    region->putAndInsertUint32(DCM_RegionLocationMinY0, 0);
    region->putAndInsertUint32(DCM_RegionLocationMaxX1, static_cast<Uint32>(g.size[0] - 1));
    region->putAndInsertUint32(DCM_RegionLocationMaxY1, static_cast<Uint32>(g.size[1] - 1));
    region->putAndInsertUint16(DCM_PhysicalUnitsXDirection, 3);  // cm
    region->putAndInsertUint16(DCM_PhysicalUnitsYDirection, 3);
    region->putAndInsertFloat64(DCM_PhysicalDeltaX, g.spacing[0] / 10.0);
    region->putAndInsertFloat64(DCM_PhysicalDeltaY, g.spacing[1] / 10.0);
  }
  std::vector<Uint16> stored;
  for (auto& frame : frames) {
    if (frame.geometry.size != g.size) fail(file.string(), ": frames differ in size");
    append_stored(frame.voxels.data(), frame.voxels.size(), info, stored);
  }
  fill_pixels(ds, info, g.size[1], g.size[0], frames.size(), stored);
  save(format, file);
}

}  // namespace vbiopsy::modalities::dicom
