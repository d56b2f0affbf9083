#pragma once
// The first pass of a cohort extraction with [habitats] enabled: every MRI case's voxel features,
// one descriptive cohort model (habitat_model.csv records the choice of k), then each case's label
// map written as <out>/<case>/mri/habitats.nii.gz with an overlay picture, before the radiomics
// pass reads it. Registration, when asked for, runs here once per case (the maps need it). In an
// MPI job every rank computes the same pass and rank 0 alone writes the files.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"
#include "datasets/manifest.h"
#include "extraction/settings.h"

namespace vbiopsy::extraction {

struct HabitatPass {
  int habitats = 0;                               // k of the cohort model; 0: none fitted
  std::vector<std::optional<core::Mask>> labels;  // per case
  std::vector<std::optional<std::vector<std::pair<std::string, double>>>> registration;  // per case: the metrics
  std::vector<std::vector<datasets::Problem>> failures;                                  // per case
  std::vector<std::vector<std::string>> warnings;                                        // per case, in order
};

// Without settings.habitats, nothing is done (every per-case list still has a slot per case).
HabitatPass habitat_pass(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                         const std::filesystem::path& out);

// Where the pass writes a case's label map.
std::filesystem::path habitat_label_file(const std::filesystem::path& out, const std::string& case_id);

}  // namespace vbiopsy::extraction
