#include "modalities/dicom/dataset_values.h"

#include <cmath>

#include "core/strings.h"

namespace vbiopsy::modalities::dicom {

std::string get_string(DcmItem* item, const DcmTagKey& tag) {
  OFString value;
  if (item && item->findAndGetOFStringArray(tag, value).good()) return core::trim(value.c_str());
  return {};
}

std::optional<double> get_double(DcmItem* item, const DcmTagKey& tag, unsigned long index) {
  Float64 value = 0;
  if (item && item->findAndGetFloat64(tag, value, index).good() && std::isfinite(value)) return value;
  return std::nullopt;
}

std::optional<long> get_integer(DcmItem* item, const DcmTagKey& tag) {
  Sint32 value = 0;
  if (item && item->findAndGetSint32(tag, value).good()) return value;
  Uint32 unsigned_value = 0;
  if (item && item->findAndGetUint32(tag, unsigned_value).good()) return static_cast<long>(unsigned_value);
  Uint16 short_value = 0;
  if (item && item->findAndGetUint16(tag, short_value).good()) return short_value;
  return std::nullopt;
}

DcmItem* functional_group(DcmDataset* ds, size_t frame, const DcmTagKey& macro) {
  DcmItem* group = nullptr;
  DcmItem* item = nullptr;
  if (ds->findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, group, static_cast<signed long>(frame)).good() &&
      group && group->findAndGetSequenceItem(macro, item, 0).good() && item)
    return item;
  if (ds->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, group, 0).good() && group &&
      group->findAndGetSequenceItem(macro, item, 0).good() && item)
    return item;
  return nullptr;
}

}  // namespace vbiopsy::modalities::dicom
