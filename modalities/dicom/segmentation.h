#pragma once
// DICOM Segmentation objects (SEG, PS3.3 A.51) as masks: what TCIA cohorts (I-SPY, Duke) ship.
// Binary SEG (one bit per pixel, frames packed without padding) and fractional SEG (8 bits,
// thresholded at half of MaximumFractionalValue), one or more segments. Each frame's geometry comes
// from the per-frame functional groups (PlanePositionSequence, SegmentIdentificationSequence), the
// orientation and pixel size from the shared or per-frame groups; its pixels are placed on the
// grid of the image the mask belongs to, where they must fall on voxel centres (a SEG drawn on a
// resampled grid is refused, naming the offset).
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::dicom {

// The SOP class UID of Segmentation Storage (PS3.4 B.5).
constexpr const char* kSegmentationStorageUid = "1.2.840.10008.5.1.4.1.1.66.4";

struct SegmentInfo {
  int number = 0;
  std::string label;
};

// The segments a SEG defines (number and SegmentLabel), from its header.
std::vector<SegmentInfo> segmentation_segments(const std::filesystem::path& file);

// The segments onto the grid as a label map: each voxel holds the number of its segment (1-255),
// so the extraction's setting.label picks a segment by number and no label means every segment.
// Segments that overlap cannot share a label map and are refused, naming both and the voxel count.
core::Mask read_segmentation(const std::filesystem::path& file, const core::Geometry& grid);

}  // namespace vbiopsy::modalities::dicom
