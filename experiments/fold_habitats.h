#pragma once
// The `habitats` modality of an experiment: MRI tumour habitats clustered on each fold's training
// cases only (the habitat model of `vbiopsy extract` saw every case, so `run` never uses it), then
// every case described by each habitat's volume fraction and the mean of each clustered map inside
// it: columns habitat<h>_fraction and habitat<h>_<map>. A habitat a case lacks has fraction 0 and
// missing means (imputed by the fold's preprocessing). The clustering settings are the extraction
// settings' [habitats] section (maps, min, max or fixed, ring_mm, seed).
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "extraction/settings.h"
#include "experiments/feature_table.h"
#include "modalities/mri/habitats.h"

namespace vbiopsy::experiments {

using CohortVoxels = std::vector<std::optional<modalities::mri::CaseVoxels>>;

// The voxel features of the given cases (by id, in that order), in parallel; a case without MRI, or
// whose MRI fails to load, has none (and is named in `failures` with the reason).
CohortVoxels habitat_voxels_of(const datasets::Cohort& cohort, const std::vector<std::string>& case_ids,
                               const extraction::CohortExtractionSettings& settings, unsigned threads,
                               std::vector<std::pair<std::string, std::string>>* failures = nullptr);

class FoldHabitats {
 public:
  // Fits the habitat model on the rows `train` that have voxels.
  void fit(const CohortVoxels& voxels, const std::vector<size_t>& train,
           const extraction::CohortExtractionSettings& settings);
  // The `habitats` block for every row of `voxels` (cases in parallel; the same values whatever the
  // thread count).
  FeatureBlock block(const CohortVoxels& voxels, unsigned threads = 1) const;
  const modalities::mri::HabitatModel& model() const { return model_; }

  nlohmann::json save() const;
  static FoldHabitats load(const nlohmann::json& state);

 private:
  modalities::mri::HabitatModel model_;
  modalities::mri::HabitatOptions options_;
  std::vector<std::string> maps_;
};

// The table with its `habitats` block replaced.
FeatureTable with_block(const FeatureTable& table, FeatureBlock block);

}  // namespace vbiopsy::experiments
