#pragma once
// The region a radiomics run describes, picked from a mask file by the settings.
#include <filesystem>

#include "core/image.h"
#include "encoders/radiomics/extractor.h"

namespace vbiopsy::extraction {

// The region of a mask file as a 0/1 mask: every non-zero voxel, the voxels of setting.label, or
// the segment of a DICOM Segmentation whose SegmentLabel is setting.segment (case-insensitive). A
// label or segment the file lacks is an error naming the file and what it holds.
// The mask is taken by value: a caller that moves it in pays for no second full-size mask.
core::Mask select_region(core::Mask mask, const std::filesystem::path& file,
                         const encoders::radiomics::ExtractionSettings& settings);

}  // namespace vbiopsy::extraction
