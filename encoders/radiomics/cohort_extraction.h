#pragma once
// Radiomics for a whole cohort (vbiopsy extract): every case and modality, cases in parallel,
// results cached by the content hash of the inputs and settings, one wide CSV in manifest order
// whatever the thread count.
//
// Blocks (column prefixes) per case:
//   mri_dce1_tumour, mri_dce1_ring<d>mm   first post-contrast DCE phase, tumour and rings
//   mri_t2_..., mri_adc_...               the same regions on T2 and ADC ([mri] sequences = t2, adc),
//                                         less any voxel where the map is not finite (fitted ADC)
//   mg_cc_tumour, mg_mlo_tumour           each mammography view
//   us_tumour                             first ultrasound frame
//   retest_<block>                        the block on a second segmentation ([regions] retest)
// plus has_mri, has_mg, has_us. Absent modalities leave their cells empty, never zero.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "encoders/radiomics/extractor.h"
#include "modalities/case_loader.h"
#include "modalities/mri/habitats.h"
#include "modalities/mri/tofts.h"

namespace vbiopsy::encoders::radiomics {

struct CohortExtractionSettings {
  ExtractionSettings radiomics;
  std::vector<double> rings_mm;  // peritumoral rings around the MRI tumour
  // A second segmentation of every radiomics block, as block retest_<block>, for the ICC filter
  // of experiments: "reader2" (the MRI blocks on the manifest's mri_mask_reader2, where a case has
  // one), "dilate" or "erode" (every block on its region perturbed by one voxel, regions.h); empty = none.
  std::string retest;
  std::vector<std::string> sequences;  // more MRI radiomics blocks: t2, adc (tumour and rings, on the DCE grid)
  unsigned threads = 1;
  bool kinetics = false;         // block mri_kinetics: tumour means of the DCE maps, curve-type fractions
  bool tofts = false;            // block mri_tofts: tumour means of Ktrans, kep, ve, vp and the failed fraction
  bool extended_tofts = true;
  modalities::mri::AcquisitionAssumptions acquisition;
  // Habitats (block mri_habitats: volume fractions; blocks mri_dce1_habitat<h>: radiomics per
  // habitat; files <out>/<case>/mri/habitats.nii.gz and habitats_overlay.png). The cohort model is
  // fitted on every extracted case: descriptive. Cross-validated experiments refit it per fold on
  // training cases only (modalities/mri/habitats.h).
  bool habitats = false;
  double habitat_ring_mm = 0;    // > 0: habitats over the tumour plus a peritumoral ring of this width
  bool register_sequences = false;  // rigid MI registration of T2 and ADC onto the pre-contrast DCE
                                    // (block mri_registration records the final metrics)
  std::vector<std::string> habitat_maps = {"wash_in", "wash_out", "ser", "adc"};
  modalities::mri::HabitatOptions habitat_options;
};

// The settings INI is copied beside features.csv under this name (by `vbiopsy extract` and by runs
// that extract), so exported models know how to extract a new case's features the same way.
constexpr const char* kExtractionSettingsFile = "extraction.ini";

struct CohortExtractionResult {
  size_t cases = 0;
  size_t computed = 0;   // blocks computed now
  size_t from_cache = 0; // blocks read from the cache
  std::vector<datasets::Problem> failures;  // cases (or blocks) that could not be extracted
  // case_id, what the readers tolerated, for the cases loaded now (a modality read from the cache
  // is not loaded again: the preflight, load_checked_cohort with extraction_loaders, lists them all)
  std::vector<std::pair<std::string, std::string>> warnings;
};

// Writes out/features.csv (and out/cache/). progress(done, total) is called after each case.
CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const std::filesystem::path& out,
                                      const std::function<void(size_t, size_t)>& progress = {});

// Radiomics settings (settings.h) plus section [regions]: rings_mm = 2, 4 (default: none), retest =
// reader2|dilate|erode (default: none),
// section [mri]: sequences = t2, adc, kinetics = true|false, register = true|false, tofts = true|false, extended = true|false, t10_s = 1.5,
// tr_s = 0.005, flip_angle_deg = 15 (TR and flip angle from the DCE DICOM when present),
// relaxivity = 4.5, injection_time_s = 30 (the stated
// assumptions of the signal-to-concentration conversion), and section [habitats]: enabled = true|false,
// maps = wash_in, wash_out, ser, adc (any of pe, ttp, me, ie, wash_in, ser, wash_out, auc60, auc90,
// adc, t2), min = 2, max = 6, fixed = 0, criterion = calinski_harabasz|silhouette, seed = 1,
// ring_mm = 0 (a peritumoral ring added to the habitat region); maps may also name a DCE phase's
// intensities, dce<phase> (dce0 pre-contrast).
CohortExtractionSettings read_cohort_extraction_settings(const std::filesystem::path& ini);

// The voxel features habitats cluster: settings.habitat_maps inside the tumour (plus the habitat
// ring), from a loaded study, or from a case's files (registered when the settings say so). Shared
// by extract (one descriptive cohort model) and run (one model per training fold).
modalities::mri::CaseVoxels habitat_voxels(const std::string& case_id, const modalities::LoadedMri& mri, const CohortExtractionSettings& settings);
modalities::mri::CaseVoxels habitat_voxels(const datasets::Case& c, const CohortExtractionSettings& settings);

// The settings as canonical text: part of every cache key.
std::string settings_text(const CohortExtractionSettings& settings);

}  // namespace vbiopsy::encoders::radiomics
