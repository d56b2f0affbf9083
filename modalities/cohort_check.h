#pragma once
// Loads every case of a cohort and lists every problem at once (vbiopsy validate), and gives later
// commands a cohort they can trust: refused when invalid, or with the bad cases left out and named.
#include <functional>
#include <string>
#include <vector>

#include "datasets/manifest.h"

namespace vbiopsy::modalities {

// How each modality is loaded for a check: the plain loaders of case_loader.h by default; the
// extraction passes its own (which also check the masks' label and what its settings need), so that
// a check finds whatever the extraction would fail on.
struct CaseLoaders {
  std::function<void(const datasets::MriStudy&)> mri;
  std::function<void(const datasets::Mammography&)> mammography;
  std::function<void(const datasets::Ultrasound&)> ultrasound;
};
CaseLoaders plain_loaders();

struct CaseCheck {
  std::vector<datasets::Problem> problems;
  std::vector<std::string> warnings;  // what the loaders tolerated (core/warnings.h)
};
// Loads each present modality of each case (files, formats, grids, masks), in parallel; one entry
// per case, in cohort order.
std::vector<CaseCheck> check_cases(const datasets::Cohort& cohort, unsigned threads,
                                   const CaseLoaders& loaders = plain_loaders());

struct ExcludedCase {
  std::string case_id;
  std::vector<std::string> reasons;
};

struct CheckedCohort {
  datasets::Cohort cohort;                                    // the usable cases
  std::vector<ExcludedCase> excluded;                         // left out, with every reason
  std::vector<std::pair<std::string, std::string>> warnings;  // case_id, warning (every case)
  std::vector<datasets::Problem> cohort_problems;             // not tied to one case (always fatal)
};

// Reads and checks the cohort. With skip_bad false any problem throws core::Error listing them all;
// with skip_bad true the cases with problems are excluded and named.
CheckedCohort load_checked_cohort(const std::filesystem::path& manifest,
                                  const std::optional<std::filesystem::path>& clinical, bool skip_bad, unsigned threads,
                                  const CaseLoaders& loaders = plain_loaders());

// out/excluded.csv (case_id, reason) and out/warnings.csv (case_id, warning), written atomically.
void write_check_record(const CheckedCohort& checked, const std::filesystem::path& out);

}  // namespace vbiopsy::modalities
