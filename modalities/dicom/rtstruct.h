#pragma once
// RTSTRUCT contours (closed planar polygons in patient mm) rasterised onto the grid of the series
// they outline: a voxel is inside when its centre is inside (even-odd rule, so holes drawn as
// inner contours stay holes).
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::dicom {

// The SOP class UID of RT Structure Set Storage (PS3.4 B.5).
constexpr const char* kRtStructureSetStorageUid = "1.2.840.10008.5.1.4.1.1.481.3";

// roi_name empty: the structure set must hold exactly one ROI with contours.
core::Mask rasterise_rtstruct(const std::filesystem::path& rtstruct, const core::Geometry& grid,
                              const std::string& roi_name = "");

}  // namespace vbiopsy::modalities::dicom
