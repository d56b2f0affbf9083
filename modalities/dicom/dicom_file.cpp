#include "modalities/dicom/dicom_file.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cmath>
#include <fstream>
#include <mutex>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/strings.h"
#include "modalities/dicom/dataset_values.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

// Upper bound on decoded pixels per object, checked before allocating (4 Gi voxels of float).
constexpr double kMaxPixels = 1024.0 * 1024.0 * 1024.0;

// DICOM TM ("HHMMSS.FFFFFF", or the old "HH:MM:SS") to seconds since midnight.
std::optional<double> parse_tm(std::string text) {
  std::string digits;
  for (char c : text)
    if (c != ':') digits += c;
  if (digits.size() < 2) return std::nullopt;
  auto part = [&](size_t at) -> double {
    if (digits.size() < at + 2) return 0;
    auto v = core::parse_int(digits.substr(at, 2));
    return v ? static_cast<double>(*v) : NAN;
  };
  double seconds = part(0) * 3600 + part(2) * 60;
  if (digits.size() >= 6) {
    auto s = core::parse_double(digits.substr(4));
    if (!s) return std::nullopt;
    seconds += *s;
  }
  return std::isfinite(seconds) ? std::optional<double>(seconds) : std::nullopt;
}

struct PixelLayout {
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0, bits_stored = 0, pixel_representation = 0, planar = 0;
  size_t frames = 1;
  std::string photometric;
};

PixelLayout read_layout(DcmDataset* ds, const fs::path& file) {
  PixelLayout l;
  auto need16 = [&](const DcmTagKey& tag, Uint16& out, const char* name) {
    if (ds->findAndGetUint16(tag, out).bad()) fail(file.string(), ": missing ", name);
  };
  need16(DCM_Rows, l.rows, "Rows (0028,0010)");
  need16(DCM_Columns, l.columns, "Columns (0028,0011)");
  need16(DCM_BitsAllocated, l.bits_allocated, "BitsAllocated (0028,0100)");
  if (ds->findAndGetUint16(DCM_BitsStored, l.bits_stored).bad()) l.bits_stored = l.bits_allocated;
  ds->findAndGetUint16(DCM_PixelRepresentation, l.pixel_representation);
  if (ds->findAndGetUint16(DCM_SamplesPerPixel, l.samples).bad()) l.samples = 1;
  ds->findAndGetUint16(DCM_PlanarConfiguration, l.planar);
  l.photometric = get_string(ds, DCM_PhotometricInterpretation);
  if (l.photometric.empty()) l.photometric = l.samples == 3 ? "RGB" : "MONOCHROME2";
  if (auto n = get_integer(ds, DCM_NumberOfFrames)) {
    if (*n < 1) fail(file.string(), ": NumberOfFrames is ", *n, ", expected at least 1");
    l.frames = static_cast<size_t>(*n);
  }
  if (l.rows == 0 || l.columns == 0) fail(file.string(), ": image is ", l.rows, "x", l.columns, " pixels");
  if (l.bits_allocated != 8 && l.bits_allocated != 16)
    fail(file.string(), ": BitsAllocated ", l.bits_allocated, " is not supported (expected 8 or 16)");
  if (l.bits_stored == 0 || l.bits_stored > l.bits_allocated)
    fail(file.string(), ": BitsStored ", l.bits_stored, " does not fit BitsAllocated ", l.bits_allocated);
  if (l.samples != 1 && l.samples != 3)
    fail(file.string(), ": SamplesPerPixel ", l.samples, " is not supported (expected 1 or 3)");
  const bool mono = l.photometric == "MONOCHROME1" || l.photometric == "MONOCHROME2";
  if ((l.samples == 1) != mono && !(l.samples == 3 && l.photometric == "RGB") &&
      !(l.samples == 3 && l.photometric == "YBR_FULL"))
    fail(file.string(), ": PhotometricInterpretation ", l.photometric, " with SamplesPerPixel ", l.samples,
         " is not supported (expected MONOCHROME1/2, RGB or YBR_FULL)");
  return l;
}

// Stored value of sample s of pixel p in frame f, sign-extended per PixelRepresentation.
struct SampleReader {
  const Uint8* bytes = nullptr;
  const Uint16* words = nullptr;
  PixelLayout l;
  double read(size_t frame, size_t pixel, size_t sample) const {
    const size_t per_frame = static_cast<size_t>(l.rows) * l.columns;
    const size_t index =
        frame * per_frame * l.samples + (l.planar ? sample * per_frame + pixel : pixel * l.samples + sample);
    uint32_t raw = l.bits_allocated == 8 ? bytes[index] : words[index];
    const uint32_t mask = l.bits_stored >= 32 ? 0xFFFFFFFFu : ((1u << l.bits_stored) - 1u);
    raw &= mask;
    if (l.pixel_representation == 1 && (raw >> (l.bits_stored - 1)) & 1u)
      return static_cast<double>(static_cast<int64_t>(raw) - (int64_t{1} << l.bits_stored));
    return static_cast<double>(raw);
  }
};

void read_pixels(DcmDataset* ds, DicomObject& object) {
  const fs::path& file = object.file;
  DcmElement* element = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    const char* sop_name = dcmFindNameOfUID(object.sop_class_uid.c_str(), nullptr);
    fail(file.string(), ": no PixelData (7FE0,0010); this is ",
         sop_name ? sop_name : ("SOP class " + object.sop_class_uid).c_str(), ", not an image");
  }
  DcmXfer original(ds->getOriginalXfer());
  if (original.isEncapsulated()) {
    OFCondition status = ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (status.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit)) {
      fail(file.string(), ": unsupported transfer syntax ", original.getXferName(), " (", original.getXferID(),
           "): DCMTK cannot decode it here (", status.text(), ")");
    }
  }
  PixelLayout l = read_layout(ds, file);  // after decoding: the codec may have changed photometric
  object.rows = l.rows;
  object.columns = l.columns;
  const size_t bytes_per_sample = l.bits_allocated / 8;
  const double wanted = static_cast<double>(l.rows) * l.columns * l.samples * l.frames;
  if (wanted > kMaxPixels) fail(file.string(), ": ", wanted, " samples exceed the limit of ", kMaxPixels);
  core::require_within_memory_budget(
      wanted * 4, core::concat(file.string(), ": its ", l.frames, " frames of ", l.columns, "x", l.rows, " pixels"));
  const size_t length = element->getLength();
  const size_t needed = static_cast<size_t>(wanted) * bytes_per_sample;
  if (length < needed) {
    fail(file.string(), ": PixelData holds ", length, " bytes but ", l.rows, "x", l.columns, "x", l.samples,
         " samples x ", l.frames, " frames at ", l.bits_allocated, " bits need ", needed, " (truncated file?)");
  }
  SampleReader reader;
  reader.l = l;
  OFCondition got = l.bits_allocated == 8 ? element->getUint8Array(const_cast<Uint8*&>(reader.bytes))
                                          : element->getUint16Array(const_cast<Uint16*&>(reader.words));
  if (got.bad() || (reader.bytes == nullptr && reader.words == nullptr))
    fail(file.string(), ": cannot read PixelData: ", got.text());

  const double slope_default = get_double(ds, DCM_RescaleSlope).value_or(1.0);
  const double intercept_default = get_double(ds, DCM_RescaleIntercept).value_or(0.0);
  const bool monochrome1 = l.photometric == "MONOCHROME1";
  const double stored_min = l.pixel_representation ? -std::ldexp(1.0, l.bits_stored - 1) : 0.0;
  const double stored_max =
      l.pixel_representation ? std::ldexp(1.0, l.bits_stored - 1) - 1 : std::ldexp(1.0, l.bits_stored) - 1;
  const size_t per_frame = static_cast<size_t>(l.rows) * l.columns;
  object.frames.resize(l.frames);
  for (size_t f = 0; f < l.frames; ++f) {
    double slope = slope_default, intercept = intercept_default;
    if (DcmItem* transform = functional_group(ds, f, DCM_PixelValueTransformationSequence)) {
      slope = get_double(transform, DCM_RescaleSlope).value_or(slope);
      intercept = get_double(transform, DCM_RescaleIntercept).value_or(intercept);
    }
    auto& pixels = object.frames[f].pixels;
    pixels.resize(per_frame);
    for (size_t p = 0; p < per_frame; ++p) {
      double value;
      if (l.samples == 1) {
        value = reader.read(f, p, 0);
        // MONOCHROME1: low values are bright; mirror within the stored range so brighter is larger.
        if (monochrome1) value = stored_min + stored_max - value;
      } else if (l.photometric == "YBR_FULL") {
        value = reader.read(f, p, 0);  // luma is the grey value
      } else {
        value = 0.299 * reader.read(f, p, 0) + 0.587 * reader.read(f, p, 1) + 0.114 * reader.read(f, p, 2);
      }
      pixels[p] = static_cast<float>(value * slope + intercept);
    }
  }
}

// Projection radiographs (MG, DX, CR, ...) record ImagerPixelSpacing at the detector; at the breast
// the pixels are smaller by the EstimatedRadiographicMagnificationFactor (PS3.3 C.8.11.4.1.1 and
// 10.7.1.3). PixelSpacing, where a projection image has no ImagerPixelSpacing, is taken as already
// calibrated. object.spacing_source records which was used.
std::optional<std::array<double, 2>> pixel_spacing(DcmDataset* ds, DicomObject& object) {
  const auto pixel = get_doubles<2>(ds, DCM_PixelSpacing);
  const auto imager = get_doubles<2>(ds, DCM_ImagerPixelSpacing);
  const bool projection = object.modality == "MG" || object.modality == "DX" || object.modality == "CR" ||
                          object.modality == "RF" || object.modality == "XA" || object.modality == "IO";
  if (imager && (projection || !pixel)) {
    const auto magnification = get_double(ds, DCM_EstimatedRadiographicMagnificationFactor);
    if (magnification && *magnification >= 1 && *magnification <= 3) {
      object.spacing_source =
          core::concat("ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor ", *magnification);
      return std::array<double, 2>{(*imager)[0] / *magnification, (*imager)[1] / *magnification};
    }
    object.spacing_source = magnification
                                ? core::concat("ImagerPixelSpacing (EstimatedRadiographicMagnificationFactor ",
                                               *magnification, " ignored: expected 1 to 3)")
                                : std::string("ImagerPixelSpacing (no EstimatedRadiographicMagnificationFactor)");
    return imager;
  }
  if (pixel) object.spacing_source = "PixelSpacing";
  return pixel;
}

void read_frame_geometry(DcmDataset* ds, DicomObject& object, size_t frame_count) {
  const bool enhanced = ds->tagExists(DCM_PerFrameFunctionalGroupsSequence);
  object.frames.resize(frame_count);
  auto top_position = get_doubles<3>(ds, DCM_ImagePositionPatient);
  auto top_orientation = get_doubles<6>(ds, DCM_ImageOrientationPatient);
  auto top_spacing = pixel_spacing(ds, object);
  std::optional<int> top_temporal;
  if (auto t = get_integer(ds, DCM_TemporalPositionIdentifier)) top_temporal = static_cast<int>(*t);
  std::optional<double> top_time = parse_tm(get_string(ds, DCM_AcquisitionTime));
  if (!top_time) top_time = parse_tm(get_string(ds, DCM_ContentTime));
  auto top_b = get_double(ds, DCM_DiffusionBValue);
  for (size_t f = 0; f < frame_count; ++f) {
    DicomFrame& frame = object.frames[f];
    frame.position = top_position;
    frame.orientation = top_orientation;
    frame.pixel_spacing = top_spacing;
    frame.temporal_position = top_temporal;
    frame.acquisition_time_s = top_time;
    frame.b_value = top_b;
    if (!enhanced) continue;
    if (auto* g = functional_group(ds, f, DCM_PlanePositionSequence))
      frame.position = get_doubles<3>(g, DCM_ImagePositionPatient);
    if (auto* g = functional_group(ds, f, DCM_PlaneOrientationSequence))
      frame.orientation = get_doubles<6>(g, DCM_ImageOrientationPatient);
    if (auto* g = functional_group(ds, f, DCM_PixelMeasuresSequence)) {
      if (auto s = get_doubles<2>(g, DCM_PixelSpacing)) {
        frame.pixel_spacing = s;
        if (object.spacing_source.empty()) object.spacing_source = "PixelSpacing (PixelMeasuresSequence)";
      }
      if (auto t = get_double(g, DCM_SliceThickness)) object.slice_thickness = t;
    }
    if (auto* g = functional_group(ds, f, DCM_FrameContentSequence)) {
      if (auto t = get_integer(g, DCM_TemporalPositionIndex)) frame.temporal_position = static_cast<int>(*t);
      std::string when = get_string(g, DCM_FrameAcquisitionDateTime);
      if (when.size() > 8) frame.acquisition_time_s = parse_tm(when.substr(8));
    }
    if (auto* g = functional_group(ds, f, DCM_MRDiffusionSequence))
      if (auto b = get_double(g, DCM_DiffusionBValue)) frame.b_value = b;
  }
}

void read_ultrasound_regions(DcmDataset* ds, DicomObject& object) {
  DcmItem* region = nullptr;
  if (ds->findAndGetSequenceItem(DCM_SequenceOfUltrasoundRegions, region, 0).bad() || !region) return;
  Uint16 unit_x = 0, unit_y = 0;
  region->findAndGetUint16(DCM_PhysicalUnitsXDirection, unit_x);
  region->findAndGetUint16(DCM_PhysicalUnitsYDirection, unit_y);
  auto dx = get_double(region, DCM_PhysicalDeltaX);
  auto dy = get_double(region, DCM_PhysicalDeltaY);
  constexpr Uint16 kCentimetres = 3;  // PS3.3 C.8.5.5.1.15
  if (unit_x == kCentimetres && unit_y == kCentimetres && dx && dy && *dx > 0 && *dy > 0) {
    object.ultrasound_spacing = std::array<double, 2>{std::abs(*dx) * 10.0, std::abs(*dy) * 10.0};
    if (object.spacing_source.empty()) object.spacing_source = "SequenceOfUltrasoundRegions (PhysicalDeltaX/Y)";
  }
}

}  // namespace

void register_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK's own log would repeat our error messages on stderr; keep only its fatal ones.
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

std::string sop_class_of(const fs::path& file) {
  if (!fs::is_regular_file(file)) return {};
  DcmFileFormat format;
  if (format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 1024, ERM_autoDetect).bad()) return {};
  return get_string(format.getDataset(), DCM_SOPClassUID);
}

bool looks_like_dicom(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char header[132] = {};
  if (!in.read(header, sizeof header)) return false;
  return std::string(header + 128, 4) == "DICM";
}

DicomObject read_dicom(const fs::path& file, bool pixels) {
  register_codecs();
  if (!fs::is_regular_file(file)) fail(file.string(), ": no such DICOM file");
  DcmFileFormat format;
  OFCondition status = format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
  if (status.bad()) {
    fail(file.string(), ": not a readable DICOM file (", status.text(), ")",
         looks_like_dicom(file) ? "" : "; it has no 128-byte preamble and 'DICM' magic either");
  }
  DcmDataset* ds = format.getDataset();
  DicomObject object;
  object.file = file;
  object.transfer_syntax = DcmXfer(ds->getOriginalXfer()).getXferName();
  object.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  object.study_uid = get_string(ds, DCM_StudyInstanceUID);
  object.series_uid = get_string(ds, DCM_SeriesInstanceUID);
  object.modality = get_string(ds, DCM_Modality);
  object.series_description = get_string(ds, DCM_SeriesDescription);
  if (auto n = get_integer(ds, DCM_SeriesNumber)) object.series_number = static_cast<int>(*n);
  object.photometric = get_string(ds, DCM_PhotometricInterpretation);
  object.slice_thickness = get_double(ds, DCM_SliceThickness);
  object.repetition_time_ms = get_double(ds, DCM_RepetitionTime);
  object.flip_angle_deg = get_double(ds, DCM_FlipAngle);
  object.laterality = get_string(ds, DCM_ImageLaterality);
  if (object.laterality.empty()) object.laterality = get_string(ds, DCM_Laterality);
  object.view_position = get_string(ds, DCM_ViewPosition);
  if (pixels) {
    read_pixels(ds, object);
  } else {
    Uint16 rows = 0, columns = 0;
    ds->findAndGetUint16(DCM_Rows, rows);
    ds->findAndGetUint16(DCM_Columns, columns);
    object.rows = rows;
    object.columns = columns;
  }
  size_t frames = object.frames.size();
  if (frames == 0) {
    auto n = get_integer(ds, DCM_NumberOfFrames);
    frames = n && *n > 0 && *n <= 65536 ? static_cast<size_t>(*n) : 1;
  }
  read_frame_geometry(ds, object, frames);
  read_ultrasound_regions(ds, object);
  return object;
}

}  // namespace vbiopsy::modalities::dicom
