#pragma once
// What the cohort extraction reads of a case, loaded and checked against its settings before any
// feature is computed. The extraction and its preflight (`vbiopsy validate --config`, and runs
// that extract, before anything is trained) call the same functions, so the preflight finds every
// input problem the extraction would fail on.
#include "datasets/case.h"
#include "encoders/radiomics/extractor.h"
#include "extraction/region.h"
#include "extraction/settings.h"
#include "modalities/case_loader.h"
#include "modalities/cohort_check.h"

namespace vbiopsy::extraction {

// The study, its tumour mask (and a second reader's) reduced to the region of setting.label as
// 0/1 masks, with what the settings need checked: the label in each mask file, three or more DCE
// phases for kinetics, Tofts or kinetic habitat maps, the maps habitats cluster, finite
// intensities of the first post-contrast phase inside the tumour. Sequences the settings ask for
// and the case lacks are named in a warning (their columns stay empty).
modalities::LoadedMri load_mri_for_extraction(const datasets::MriStudy& study,
                                              const CohortExtractionSettings& settings);
std::vector<modalities::LoadedMammographyView> load_mammography_for_extraction(
    const datasets::Mammography& mammography, const CohortExtractionSettings& settings);
modalities::LoadedUltrasound load_ultrasound_for_extraction(const datasets::Ultrasound& ultrasound,
                                                            const CohortExtractionSettings& settings);

// The loaders above, for modalities::check_cases and load_checked_cohort.
modalities::CaseLoaders extraction_loaders(const CohortExtractionSettings& settings);

}  // namespace vbiopsy::extraction
