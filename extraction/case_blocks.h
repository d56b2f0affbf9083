#pragma once
// The blocks of one case's modality: which regions of which images become radiomics blocks (the
// jobs), and the summary blocks (registration, kinetics, Tofts, habitat fractions). Each modality
// also says what identifies it for the cache: the manifest's values for it and its input files.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "datasets/case.h"
#include "extraction/block_cache.h"
#include "extraction/settings.h"

namespace vbiopsy::extraction {

// What the habitat pass (habitat_pass.h) left for one case.
struct CaseHabitats {
  const core::Mask* labels = nullptr;  // the case's habitat label map (none: no habitats)
  int count = 0;                       // habitats of the cohort model
  std::filesystem::path label_file;    // where the label map was written
  const std::vector<std::pair<std::string, double>>* registration = nullptr;  // metrics, when registered there
};

struct ModalityInputs {
  std::string values;                        // the manifest's values that change the blocks
  std::vector<std::filesystem::path> files;  // every input file
};

ModalityInputs mri_inputs(const datasets::MriStudy& study, const CaseHabitats& habitats);
ModalityInputs mammography_inputs(const datasets::Mammography& mammography);
ModalityInputs ultrasound_inputs(const datasets::Ultrasound& ultrasound);

std::vector<Block> mri_blocks(const datasets::MriStudy& study, const CohortExtractionSettings& settings,
                              const CaseHabitats& habitats, BlockCache& cache);
std::vector<Block> mammography_blocks(const datasets::Mammography& mammography,
                                      const CohortExtractionSettings& settings, BlockCache& cache);
std::vector<Block> ultrasound_blocks(const datasets::Ultrasound& ultrasound, const CohortExtractionSettings& settings,
                                     BlockCache& cache);

}  // namespace vbiopsy::extraction
