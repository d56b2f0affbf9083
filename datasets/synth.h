#pragma once
// The synthetic paired cohort: images and records generated in memory (writing them in real file
// formats is modalities/synthetic_cohort's job). Every case is generated from (seed, case index)
// alone, so cases can be made in parallel and a seed always gives the same cohort.
//
// Each modality sees the HER2 class through its own latent score, built from the class with a
// modality-specific contrast plus independent noise, so every modality is partially and
// complementarily informative:
//   MRI  separates positive from the rest (wash-out habitat fraction, enhancement, oedema);
//   MG   separates zero from low (spiculation) and positive (calcification clusters);
//   US   separates low from zero (margin, orientation, posterior shadowing);
//   clinical: HR status enriched in HER2-low, Ki-67 higher in HER2-positive.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/image.h"
#include "datasets/case.h"

namespace vbiopsy::datasets {

struct SynthOptions {
  size_t cases = 300;
  uint64_t seed = 1;
  std::array<double, 3> prevalence{0.2, 0.5, 0.3};  // zero, low, positive
  double effect_mri = 1.0, effect_mg = 1.0, effect_us = 1.0, effect_clinical = 1.0;
  double missing_mri = 0.1, missing_mg = 0.1, missing_us = 0.1;  // per-modality absence rates
  double clinical_missing = 0.1;                                 // per clinical value
  double indeterminate_rate = 0.02;                              // IHC 2+ without ISH
  double noise = 1.0;                                            // scales every image noise level
};

struct SynthSite {
  std::string name;
  double gain, offset, noise;         // scanner intensity differences
  std::array<double, 3> mri_spacing;  // mm
  double mg_pixel_mm, us_pixel_mm;
};
const std::vector<SynthSite>& synth_sites();

// Latent contrasts per modality: entry [class] is the mean latent score of that class.
inline constexpr std::array<double, 3> kMriContrast{-0.6, -0.2, 1.0};
inline constexpr std::array<double, 3> kMgContrast{1.0, -0.5, 0.4};
inline constexpr std::array<double, 3> kUsContrast{-0.8, 0.6, 0.0};

struct SynthMammographyView {
  std::string view;
  core::Image image;  // linear detector values, 0-4095
  core::Mask mask;
};

struct SynthCase {
  Case record;  // paths left empty; the writer fills them
  Her2Class truth = Her2Class::kZero;
  size_t site = 0;
  std::map<std::string, double> latent;  // per modality, as planted

  bool has_mri = false, has_mg = false, has_us = false;
  std::vector<core::Image> dce;
  std::vector<double> dce_times_s;
  core::Image t2;
  std::vector<core::Image> dwi;
  std::vector<double> dwi_b_values;
  core::Mask tumour;
  core::Mask tumour_reader2;  // a second reader's outline: boundary voxels moved at random
  core::Mask habitats;        // 1 enhancing rim, 2 wash-out region, 3 poorly perfused core
  std::vector<SynthMammographyView> mammography;
  std::vector<core::Image> ultrasound_frames;  // B-mode grey, 0-255
  std::vector<core::Mask> ultrasound_masks;
};

// Class, site, label, latent scores and which modalities are present, without any image: cheap.
SynthCase plan_case(const SynthOptions& options, size_t index);
// plan_case plus the images and the clinical values.
SynthCase generate_case(const SynthOptions& options, size_t index);
std::string synth_case_id(size_t index);  // "SYN0001"

}  // namespace vbiopsy::datasets
