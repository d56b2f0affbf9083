#pragma once
// What `vbiopsy extract` (and every run that extracts) is told to compute, read from one INI file:
// the radiomics settings (encoders/radiomics/settings.h) plus
//   [regions]  rings_mm = 2, 4 (default: none); retest = reader2|dilate|erode (default: none)
//   [mri]      sequences = t2, adc; kinetics, register, tofts, extended = true|false; t10_s = 1.5,
//              tr_s = 0.005, flip_angle_deg = 15 (TR and flip angle from the DCE DICOM when present),
//              relaxivity = 4.5, injection_time_s = 30 (the stated assumptions of the
//              signal-to-concentration conversion)
//   [habitats] enabled = true|false; maps = wash_in, wash_out, ser, adc (any of pe, ttp, me, ie,
//              wash_in, ser, wash_out, auc60, auc90, adc, t2, or dce<phase>: a DCE phase's
//              intensities, dce0 pre-contrast); min = 2, max = 6, fixed = 0,
//              criterion = calinski_harabasz|silhouette, seed = 1, ring_mm = 0 (a peritumoral ring
//              added to the habitat region)
#include <filesystem>
#include <string>
#include <vector>

#include "encoders/radiomics/extractor.h"
#include "modalities/mri/habitats.h"
#include "modalities/mri/tofts.h"

namespace vbiopsy::extraction {

struct CohortExtractionSettings {
  encoders::radiomics::ExtractionSettings radiomics;
  std::vector<double> rings_mm;  // peritumoral rings around the MRI tumour
  // A second segmentation of every radiomics block, as block retest_<block>, for the ICC filter
  // of experiments: "reader2" (the MRI blocks on the manifest's mri_mask_reader2, where a case has
  // one), "dilate" or "erode" (every block on its region perturbed by one voxel, regions.h); empty = none.
  std::string retest;
  std::vector<std::string> sequences;  // more MRI radiomics blocks: t2, adc (tumour and rings, on the DCE grid)
  unsigned threads = 1;                // cases in parallel: no key, it changes no value
  bool kinetics = false;               // block mri_kinetics: tumour means of the DCE maps, curve-type fractions
  bool tofts = false;                  // block mri_tofts: tumour means of Ktrans, kep, ve, vp and the failed fraction
  bool extended_tofts = true;
  modalities::mri::AcquisitionAssumptions acquisition;
  // Habitats (block mri_habitats: volume fractions; blocks mri_dce1_habitat<h>: radiomics per
  // habitat; files <out>/<case>/mri/habitats.nii.gz and habitats_overlay.png). The cohort model is
  // fitted on every extracted case: descriptive. Cross-validated experiments refit it per fold on
  // training cases only (modalities/mri/habitats.h).
  bool habitats = false;
  double habitat_ring_mm = 0;       // > 0: habitats over the tumour plus a peritumoral ring of this width
  bool register_sequences = false;  // rigid MI registration of T2 and ADC onto the pre-contrast DCE
                                    // (block mri_registration records the final metrics)
  std::vector<std::string> habitat_maps = {"wash_in", "wash_out", "ser", "adc"};
  modalities::mri::HabitatOptions habitat_options;
};

// The settings INI is copied beside features.csv under this name (by `vbiopsy extract` and by runs
// that extract), so exported models know how to extract a new case's features the same way.
constexpr const char* kExtractionSettingsFile = "extraction.ini";

// Unknown keys and unreadable values throw core::Error naming the file, key and value.
CohortExtractionSettings read_cohort_extraction_settings(const std::filesystem::path& ini);

// Every key the reader knows, "section.key" (the radiomics keys first).
std::vector<std::string> cohort_setting_keys();

// The settings as canonical INI text, which the reader reads back to the same settings: every key
// with its effective value, in a fixed order. Without with_habitats, section [habitats] is left out
// (the key of a region's cached features: habitats reach those through their label maps' content).
std::string write_cohort_settings(const CohortExtractionSettings& settings, bool with_habitats = true);

}  // namespace vbiopsy::extraction
