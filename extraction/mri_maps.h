#pragma once
// An MRI study as the extraction uses it: loaded and checked (inputs.h), optionally registered,
// and the named voxel maps habitats cluster, all on the DCE grid.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "datasets/case.h"
#include "extraction/settings.h"
#include "modalities/case_loader.h"
#include "modalities/mri/habitats.h"

namespace vbiopsy::extraction {

// The study, with T2 and the ADC map (fitted from DWI when only that is given) aligned to the
// pre-contrast DCE by rigid mutual-information registration when register_sequences is set; the
// final metrics of each registration, named t2_mattes_mi and adc_mattes_mi.
struct RegisteredMri {
  modalities::LoadedMri mri;
  std::vector<std::pair<std::string, double>> metrics;
};
RegisteredMri load_registered(const datasets::MriStudy& study, const CohortExtractionSettings& settings,
                              bool register_sequences);

// Whether `name` is one of the DCE kinetic maps (pe, ttp, me, ie, wash_in, ser, wash_out, auc60,
// auc90), which need three or more phases.
bool is_kinetic_map(const std::string& name);
// Whether `name` is a DCE phase's intensities, dce<phase> (dce0 pre-contrast).
bool is_phase_map(const std::string& name);

// The voxel features habitats cluster: settings.habitat_maps inside the tumour (plus the habitat
// ring), from a loaded study, or from a case's files (registered when the settings say so). Shared
// by extract (one descriptive cohort model) and run (one model per training fold).
modalities::mri::CaseVoxels habitat_voxels(const std::string& case_id, const modalities::LoadedMri& mri,
                                           const CohortExtractionSettings& settings);
modalities::mri::CaseVoxels habitat_voxels(const datasets::Case& c, const CohortExtractionSettings& settings);

}  // namespace vbiopsy::extraction
