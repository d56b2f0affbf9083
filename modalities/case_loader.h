#pragma once
// Loads what a Case points to, per modality, with the checks every later step relies on: masks on
// their image's grid and non-empty, DCE phases on one grid with increasing times.
#include <string>
#include <vector>

#include "core/image.h"
#include "datasets/case.h"

namespace vbiopsy::modalities {

struct LoadedMri {
  std::vector<core::Image> dce;     // pre-contrast first
  std::vector<double> dce_times_s;  // relative to the first phase
  std::optional<core::Image> t2;
  std::vector<core::Image> dwi;
  std::vector<double> dwi_b_values;
  std::optional<core::Image> adc;
  core::Mask mask;                         // on the DCE grid
  std::optional<core::Mask> mask_reader2;  // a second reader's tumour mask, when given
  // Acquisition parameters of the DCE series when its DICOM records them (for Tofts).
  std::optional<double> repetition_time_s, flip_angle_deg;
};

struct LoadedMammographyView {
  std::string view;            // "CC" / "MLO"
  std::string laterality;      // "L" / "R"
  core::Image image;           // 2D; MONOCHROME1 already inverted
  core::Mask mask;             // from the mask file, or the box filled
  std::string spacing_source;  // which DICOM attribute, the manifest's mg_pixel_mm, or "assumed 1 mm"
};

struct LoadedUltrasound {
  std::vector<core::Image> frames;           // 2D grey frames
  std::vector<core::Mask> masks;             // one per frame
  std::vector<std::string> spacing_sources;  // per frame, as for mammography
};

// T2, DWI and ADC are resampled onto the DCE grid (physical coordinates), so every map lines up.
LoadedMri load_mri(const datasets::MriStudy& study);
std::vector<LoadedMammographyView> load_mammography(const datasets::Mammography& mammography);
LoadedUltrasound load_ultrasound(const datasets::Ultrasound& ultrasound);

}  // namespace vbiopsy::modalities
