#include "modalities/cohort_check.h"

#include <map>

#include "core/error.h"
#include "core/parallel.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using datasets::Problem;

std::vector<Problem> check_cases(const datasets::Cohort& cohort, unsigned threads) {
  std::vector<std::vector<Problem>> per_case(cohort.cases.size());
  prepare_itk_for_threads();
  core::parallel_for(cohort.cases.size(), threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    auto attempt = [&](const char* modality, auto&& load) {
      try {
        load();
      } catch (const core::Error& e) {
        per_case[i].push_back({c.case_id, modality, e.what()});
      } catch (const std::exception& e) {
        per_case[i].push_back({c.case_id, modality, std::string("unexpected failure: ") + e.what()});
      }
    };
    if (c.mri) attempt("MRI", [&] { load_mri(*c.mri); });
    if (c.mammography) attempt("mammography", [&] { load_mammography(*c.mammography); });
    if (c.ultrasound) attempt("ultrasound", [&] { load_ultrasound(*c.ultrasound); });
  });
  std::vector<Problem> problems;
  for (auto& list : per_case) problems.insert(problems.end(), list.begin(), list.end());
  return problems;
}

CheckedCohort load_checked_cohort(const fs::path& manifest, const std::optional<fs::path>& clinical,
                                  bool skip_bad, unsigned threads) {
  auto reading = datasets::read_cohort(manifest, clinical);
  auto problems = reading.problems;
  auto more = check_cases(reading.cohort, threads);
  problems.insert(problems.end(), more.begin(), more.end());
  CheckedCohort checked;
  std::map<std::string, std::vector<std::string>> reasons;
  for (auto& p : problems) {
    if (p.case_id.empty()) checked.cohort_problems.push_back(p);
    else reasons[p.case_id].push_back(to_string(p));
  }
  if (!checked.cohort_problems.empty() || (!skip_bad && !problems.empty())) {
    std::string list;
    for (auto& p : problems) list += "\n  " + to_string(p);
    core::fail(manifest.string(), ": the cohort has ", problems.size(), " problem(s)",
               checked.cohort_problems.empty() ? " (use --skip-bad-cases to leave those cases out)" : "",
               ":", list);
  }
  checked.cohort = reading.cohort;
  checked.cohort.cases.clear();
  for (auto& c : reading.cohort.cases) {
    auto it = reasons.find(c.case_id);
    if (it == reasons.end()) checked.cohort.cases.push_back(c);
    else checked.excluded.push_back({c.case_id, it->second});
  }
  return checked;
}

}  // namespace vbiopsy::modalities
