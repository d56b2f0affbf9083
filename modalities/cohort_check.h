#pragma once
// Loads every case of a cohort and lists every problem at once (vbiopsy validate), and gives later
// commands a cohort they can trust: refused when invalid, or with the bad cases left out and named.
#include <string>
#include <vector>

#include "datasets/manifest.h"

namespace vbiopsy::modalities {

// Problems found by loading each present modality of each case (files, formats, grids, masks).
std::vector<datasets::Problem> check_cases(const datasets::Cohort& cohort, unsigned threads);

struct ExcludedCase {
  std::string case_id;
  std::vector<std::string> reasons;
};

struct CheckedCohort {
  datasets::Cohort cohort;               // the usable cases
  std::vector<ExcludedCase> excluded;    // left out, with every reason
  std::vector<datasets::Problem> cohort_problems;  // not tied to one case (always fatal)
};

// Reads and checks the cohort. With skip_bad false any problem throws core::Error listing them all;
// with skip_bad true the cases with problems are excluded and named.
CheckedCohort load_checked_cohort(const std::filesystem::path& manifest,
                                  const std::optional<std::filesystem::path>& clinical,
                                  bool skip_bad, unsigned threads);

}  // namespace vbiopsy::modalities
