#pragma once
// The cohort manifest: one CSV row per case, paths relative to the manifest's folder, list cells
// separated by ';'. Columns (only case_id and ihc are required; a column may be left out):
//   case_id, patient_id (default: case_id), site, ihc, ish,
//   mri_dce, mri_dce_times (s), mri_t2, mri_dwi, mri_dwi_b (s/mm^2), mri_adc, mri_mask,
//   mri_mask_reader2 (a second reader's tumour mask, for the ICC filter),
//   mg_laterality (L/R), mg_cc, mg_cc_mask, mg_cc_box, mg_mlo, mg_mlo_mask, mg_mlo_box (x;y;w;h px),
//   mg_pixel_mm, us_frames, us_masks, us_pixel_mm (the pixel size of PNG/JPEG/... pictures, which
//   carry none; DICOM spacing wins, with a warning where the two differ),
//   and any clinical column (see clinical.h), which may instead come from a clinical CSV joined by
//   case_id.
// A modality is present when its image column is non-empty; then its mask is required.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "datasets/case.h"

namespace vbiopsy::datasets {

// One thing wrong with the cohort, located as precisely as we can.
struct Problem {
  std::string case_id;  // empty when the problem is not tied to one case
  std::string where;    // "manifest.csv line 7, column ihc" or a file path
  std::string message;
};
std::string to_string(const Problem& problem);

struct Cohort {
  std::filesystem::path manifest;
  std::optional<std::filesystem::path> clinical;
  std::vector<Case> cases;  // every row that has a case id, in file order
};

struct CohortReading {
  Cohort cohort;
  std::vector<Problem> problems;  // everything that could not be read; empty when all is well
};

const std::vector<std::string>& manifest_columns();

// Reads the manifest and the clinical table (given, or "clinical.csv" beside the manifest when
// that file exists). Never stops at the first problem: all of them are returned. With
// labels_required false (cases to predict), an empty or absent ihc leaves the label undetermined.
CohortReading read_cohort(const std::filesystem::path& manifest,
                          const std::optional<std::filesystem::path>& clinical = std::nullopt,
                          bool labels_required = true);

// Writes manifest.csv and, when clinical is given, the clinical table (atomically). Paths are made
// relative to the manifest's folder.
void write_cohort(const Cohort& cohort, const std::filesystem::path& manifest,
                  const std::optional<std::filesystem::path>& clinical);

}  // namespace vbiopsy::datasets
