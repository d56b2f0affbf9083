#pragma once
// Reading attribute values out of a DCMTK dataset, shared by the DICOM readers (images,
// segmentations): a missing or unreadable value is nullopt or empty, never a default in disguise.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <array>
#include <optional>
#include <string>

namespace vbiopsy::modalities::dicom {

std::string get_string(DcmItem* item, const DcmTagKey& tag);
// Finite values only (DS, FD, FL).
std::optional<double> get_double(DcmItem* item, const DcmTagKey& tag, unsigned long index = 0);
// SL, UL or US.
std::optional<long> get_integer(DcmItem* item, const DcmTagKey& tag);

template <size_t N>
std::optional<std::array<double, N>> get_doubles(DcmItem* item, const DcmTagKey& tag) {
  std::array<double, N> out{};
  for (size_t i = 0; i < N; ++i) {
    auto v = get_double(item, tag, i);
    if (!v) return std::nullopt;
    out[i] = *v;
  }
  return out;
}

// A functional-group macro for one frame of an enhanced or segmentation object: the frame's own
// (PerFrameFunctionalGroupsSequence) first, then the shared one; nullptr when neither has it.
DcmItem* functional_group(DcmDataset* ds, size_t frame, const DcmTagKey& macro);

}  // namespace vbiopsy::modalities::dicom
