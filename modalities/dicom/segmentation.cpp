#include "modalities/dicom/segmentation.h"

#include <cmath>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/warnings.h"
#include "modalities/dicom/dataset_values.h"
#include "modalities/dicom/dicom_file.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

// US-valued attributes (SegmentNumber, ReferencedSegmentNumber, MaximumFractionalValue).
std::optional<double> unsigned_number(DcmItem* item, const DcmTagKey& tag) {
  if (const auto v = get_integer(item, tag)) return static_cast<double>(*v);
  return get_double(item, tag);
}

std::string segment_name(const std::map<int, std::string>& labels, int number) {
  const auto it = labels.find(number);
  return core::concat("segment ", number,
                      it != labels.end() && !it->second.empty() ? " '" + it->second + "'" : std::string());
}

}  // namespace

std::vector<SegmentInfo> segmentation_segments(const fs::path& file) {
  DcmFileFormat format;
  if (const auto status = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect); status.bad())
    fail(file.string(), ": not a readable DICOM file (", status.text(), ")");
  std::vector<SegmentInfo> segments;
  for (unsigned long i = 0;; ++i) {
    DcmItem* item = nullptr;
    if (format.getDataset()->findAndGetSequenceItem(DCM_SegmentSequence, item, static_cast<signed long>(i)).bad() ||
        !item)
      break;
    const auto n = unsigned_number(item, DCM_SegmentNumber);
    segments.push_back({n ? static_cast<int>(*n) : 0, get_string(item, DCM_SegmentLabel)});
  }
  return segments;
}

core::Mask read_segmentation(const fs::path& file, const core::Geometry& grid) {
  register_codecs();
  const std::string name = file.string();
  DcmFileFormat format;
  if (const auto status = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
      status.bad())
    fail(name, ": not a readable DICOM file (", status.text(), ")");
  DcmDataset* ds = format.getDataset();
  if (get_string(ds, DCM_SOPClassUID) != UID_SegmentationStorage)
    fail(name, ": not a DICOM Segmentation (SOP class ", get_string(ds, DCM_SOPClassUID), ")");
  const std::string type = get_string(ds, DCM_SegmentationType);
  if (type != "BINARY" && type != "FRACTIONAL")
    fail(name, ": SegmentationType '", type, "', expected BINARY or FRACTIONAL");

  std::map<int, std::string> labels;
  for (unsigned long i = 0;; ++i) {
    DcmItem* item = nullptr;
    if (ds->findAndGetSequenceItem(DCM_SegmentSequence, item, static_cast<signed long>(i)).bad() || !item) break;
    const auto n = unsigned_number(item, DCM_SegmentNumber);
    if (!n || *n < 1 || *n > 255 || *n != std::floor(*n))
      fail(name, ": SegmentSequence item ", i + 1, " has SegmentNumber ", n ? core::concat(*n) : std::string("none"),
           ", expected 1 to 255");
    labels[static_cast<int>(*n)] = get_string(item, DCM_SegmentLabel);
  }
  if (labels.empty()) fail(name, ": no SegmentSequence (0062,0002) items");

  Uint16 rows = 0, columns = 0, bits = 0;
  if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, columns).bad() || rows == 0 ||
      columns == 0)
    fail(name, ": missing or zero Rows/Columns");
  if (ds->findAndGetUint16(DCM_BitsAllocated, bits).bad() || (type == "BINARY" ? bits != 1 : bits != 8))
    fail(name, ": BitsAllocated ", bits, " for a ", type, " segmentation, expected ", type == "BINARY" ? 1 : 8);
  Sint32 frame_count = 1;
  ds->findAndGetSint32(DCM_NumberOfFrames, frame_count);
  if (frame_count < 1 || frame_count > 100000) fail(name, ": NumberOfFrames ", frame_count, ", expected 1 to 100000");
  const size_t frames = static_cast<size_t>(frame_count), per_frame = size_t(rows) * columns;

  DcmXfer xfer(ds->getOriginalXfer());
  if (xfer.isEncapsulated() && ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad())
    fail(name, ": transfer syntax ", xfer.getXferName(), " cannot be decoded here");
  DcmElement* element = nullptr;
  const Uint8* data = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, element).bad() || !element ||
      element->getUint8Array(const_cast<Uint8*&>(data)).bad() || !data)
    fail(name, ": no readable PixelData");
  const size_t needed = type == "BINARY" ? (frames * per_frame + 7) / 8 : frames * per_frame;
  if (element->getLength() < needed)
    fail(name, ": PixelData holds ", element->getLength(), " bytes but ", frames, " frames of ", columns, "x", rows,
         " need ", needed);
  double threshold = 0.5;
  if (type == "FRACTIONAL") {
    const auto maximum = unsigned_number(ds, DCM_MaximumFractionalValue);
    if (!maximum || *maximum <= 0) fail(name, ": a FRACTIONAL segmentation needs MaximumFractionalValue (0062,000E)");
    threshold = 0.5 * *maximum;
  }

  core::Mask mask(grid);
  std::map<std::pair<int, int>, size_t> overlaps;
  size_t outside = 0;
  for (size_t f = 0; f < frames; ++f) {
    DcmItem* identification = functional_group(ds, f, DCM_SegmentIdentificationSequence);
    const auto segment = unsigned_number(identification, DCM_ReferencedSegmentNumber);
    if (!segment || !labels.count(static_cast<int>(*segment)))
      fail(name, ": frame ", f + 1, " references segment ", segment ? core::concat(*segment) : std::string("none"),
           ", which the SegmentSequence does not define");
    const auto position = get_doubles<3>(functional_group(ds, f, DCM_PlanePositionSequence), DCM_ImagePositionPatient);
    const auto orientation =
        get_doubles<6>(functional_group(ds, f, DCM_PlaneOrientationSequence), DCM_ImageOrientationPatient);
    const auto spacing = get_doubles<2>(functional_group(ds, f, DCM_PixelMeasuresSequence), DCM_PixelSpacing);
    if (!position || !orientation || !spacing)
      fail(name, ": frame ", f + 1, " lacks ",
           !position      ? "ImagePositionPatient (PlanePositionSequence)"
           : !orientation ? "ImageOrientationPatient (PlaneOrientationSequence)"
                          : "PixelSpacing (PixelMeasuresSequence)",
           "; a segmentation needs each frame's place in the patient");
    const int value = static_cast<int>(*segment);
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < columns; ++c) {
        const size_t p = f * per_frame + r * columns + c;
        const bool set = type == "BINARY" ? (data[p / 8] >> (p % 8)) & 1u : data[p] >= threshold;
        if (!set) continue;
        std::array<double, 3> point;
        for (int a = 0; a < 3; ++a)
          point[a] = (*position)[a] + double(c) * (*spacing)[1] * (*orientation)[a] +
                     double(r) * (*spacing)[0] * (*orientation)[3 + a];
        const auto index = grid.physical_to_index(point);
        std::array<long, 3> voxel;
        for (int a = 0; a < 3; ++a) {
          voxel[a] = std::lround(index[a]);
          if (std::abs(index[a] - double(voxel[a])) > 0.25)
            fail(name, ": frame ", f + 1, " (", segment_name(labels, value),
                 ") does not lie on the image's voxel centres (index ", index[0], ", ", index[1], ", ", index[2],
                 "); resample the segmentation onto the image's grid first");
        }
        if (voxel[0] < 0 || voxel[1] < 0 || voxel[2] < 0 || size_t(voxel[0]) >= grid.size[0] ||
            size_t(voxel[1]) >= grid.size[1] || size_t(voxel[2]) >= grid.size[2]) {
          ++outside;
          continue;
        }
        auto& cell = mask.at(size_t(voxel[0]), size_t(voxel[1]), size_t(voxel[2]));
        if (cell != 0 && cell != value) ++overlaps[{std::min<int>(cell, value), std::max<int>(cell, value)}];
        cell = static_cast<uint8_t>(value);
      }
  }
  if (!overlaps.empty()) {
    const auto& [pair, count] = *overlaps.begin();
    fail(name, ": ", segment_name(labels, pair.first), " and ", segment_name(labels, pair.second), " overlap in ",
         count, " voxels; one mask cannot hold both. Give each segment as its own SEG or mask file");
  }
  if (outside > 0)
    core::warn(core::concat(name, ": ", outside, " segmented pixels lie outside the image's grid and are left out"));
  return mask;
}

}  // namespace vbiopsy::modalities::dicom
