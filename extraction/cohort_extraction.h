#pragma once
// Radiomics for a whole cohort (vbiopsy extract): every case and modality, cases in parallel,
// results cached by the content hash of the inputs and settings, one wide CSV in manifest order
// whatever the thread count. The stages, one file each: habitat_pass.h (cohort habitats),
// case_blocks.h (each modality's regions and summaries), block_cache.h (the cache),
// features_csv.h (the table).
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
#include <utility>
#include <vector>

#include "datasets/manifest.h"
#include "extraction/settings.h"

namespace vbiopsy::extraction {

struct CohortExtractionResult {
  size_t cases = 0;
  size_t computed = 0;                      // blocks computed now
  size_t from_cache = 0;                    // blocks read from the cache
  std::vector<datasets::Problem> failures;  // cases (or a case's modality) that could not be extracted
  // case_id, what the readers tolerated, for the cases loaded now (a modality read from the cache
  // is not loaded again: the preflight, load_checked_cohort with extraction_loaders, lists them all)
  std::vector<std::pair<std::string, std::string>> warnings;
};

// Writes out/features.csv (and out/cache/). progress(done, total) is called after each case. A
// modality that fails leaves all its cells of that case empty and is listed in the failures.
CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const std::filesystem::path& out,
                                      const std::function<void(size_t, size_t)>& progress = {});

}  // namespace vbiopsy::extraction
