#pragma once
// The first stage of a run: everything it reads, checked and put together before anything trains —
// the cohort, the feature table (features, embeddings, clinical values), each image encoder's crops,
// the habitat voxels, the labels (permuted for the negative control), and the text of every input
// that can change a result, for the run folder's fingerprint.
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "datasets/manifest.h"
#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/fold_habitats.h"
#include "extraction/settings.h"

namespace vbiopsy::experiments {

// The `habitats` modality: every case's voxel features and the clustering settings; the habitat
// model itself is fitted per training set (fold_habitats.h).
struct HabitatContext {
  CohortVoxels voxels;
  extraction::CohortExtractionSettings settings;
  unsigned threads = 1;
  // Clustering is the slow part: every cell of a fold shares its training set's habitats.
  std::map<std::vector<size_t>, std::pair<FoldHabitats, FeatureBlock>> fitted;
};

bool uses_habitats(const std::vector<std::string>& subset);

struct RunInputs {
  datasets::Cohort cohort;
  FeatureTable table;
  std::vector<int> labels;
  std::optional<HabitatContext> habitats;
  std::vector<std::pair<std::string, std::string>> crop_failures;  // case, reason
  std::string text;                                                // every input that can change a result
};

// `config.features` is the extraction's table when the run extracts (runner.h). Warnings and what
// each stage made go to `log`.
RunInputs load_run_inputs(const ExperimentConfig& config, std::ostream& log);

}  // namespace vbiopsy::experiments
