#include "modalities/cohort_check.h"

#include <map>
#include <nlohmann/json.hpp>

#include "cluster/job.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/warnings.h"
#include "core/parallel.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using datasets::Problem;

CaseLoaders plain_loaders() {
  return {[](const datasets::MriStudy& study) { load_mri(study); },
          [](const datasets::Mammography& mammography) { load_mammography(mammography); },
          [](const datasets::Ultrasound& ultrasound) { load_ultrasound(ultrasound); }};
}

std::vector<CaseCheck> check_cases(const datasets::Cohort& cohort, unsigned threads, const CaseLoaders& loaders) {
  std::vector<CaseCheck> checks(cohort.cases.size());
  prepare_itk_for_threads();
  core::parallel_for(cohort.cases.size(), threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    core::WarningCollector warnings;
    auto attempt = [&](const char* modality, auto&& load) {
      try {
        load();
      } catch (const core::Error& e) {
        checks[i].problems.push_back({c.case_id, modality, e.what()});
      } catch (const std::exception& e) {
        checks[i].problems.push_back({c.case_id, modality, std::string("unexpected failure: ") + e.what()});
      }
    };
    if (c.mri) attempt("MRI", [&] { loaders.mri(*c.mri); });
    if (c.mammography) attempt("mammography", [&] { loaders.mammography(*c.mammography); });
    if (c.ultrasound) attempt("ultrasound", [&] { loaders.ultrasound(*c.ultrasound); });
    checks[i].warnings = warnings.messages();
  });
  return checks;
}

namespace {

// The checks of every case. The ranks of a job (cluster/job.h) each check their share of the cases
// and exchange what they found, so that every rank goes on with the same checked cohort.
std::vector<CaseCheck> check_cases_of_job(const datasets::Cohort& cohort, unsigned threads,
                                          const CaseLoaders& loaders) {
  auto& job = cluster::job();
  if (job.size() == 1) return check_cases(cohort, threads, loaders);
  std::vector<double> costs;
  for (const auto& c : cohort.cases) costs.push_back(1 + datasets::input_bytes(c));
  const auto share = cluster::share_of_this_rank(costs);
  datasets::Cohort mine = cohort;
  mine.cases.clear();
  for (const size_t i : share) mine.cases.push_back(cohort.cases[i]);
  const auto checks = check_cases(mine, threads, loaders);
  nlohmann::json found = nlohmann::json::array();
  for (size_t k = 0; k < share.size(); ++k) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : checks[k].problems) problems.push_back({p.case_id, p.where, p.message});
    found.push_back({share[k], problems, checks[k].warnings});
  }
  std::vector<CaseCheck> all(cohort.cases.size());
  for (const auto& text : job.all_gather(found.dump()))
    for (const auto& entry : nlohmann::json::parse(text)) {
      auto& check = all[entry[0].get<size_t>()];
      for (const auto& p : entry[1]) check.problems.push_back({p[0], p[1], p[2]});
      check.warnings = entry[2].get<std::vector<std::string>>();
    }
  return all;
}

}  // namespace

CheckedCohort load_checked_cohort(const fs::path& manifest, const std::optional<fs::path>& clinical, bool skip_bad,
                                  unsigned threads, const CaseLoaders& loaders) {
  auto reading = datasets::read_cohort(manifest, clinical);
  auto problems = reading.problems;
  CheckedCohort checked;
  const auto checks = check_cases_of_job(reading.cohort, threads, loaders);
  for (size_t i = 0; i < checks.size(); ++i) {
    problems.insert(problems.end(), checks[i].problems.begin(), checks[i].problems.end());
    for (const auto& w : checks[i].warnings) checked.warnings.emplace_back(reading.cohort.cases[i].case_id, w);
  }
  std::map<std::string, std::vector<std::string>> reasons;
  for (auto& p : problems) {
    if (p.case_id.empty())
      checked.cohort_problems.push_back(p);
    else
      reasons[p.case_id].push_back(to_string(p));
  }
  if (!checked.cohort_problems.empty() || (!skip_bad && !problems.empty())) {
    std::string list;
    for (auto& p : problems) list += "\n  " + to_string(p);
    core::fail(manifest.string(), ": the cohort has ", problems.size(), " problem(s)",
               checked.cohort_problems.empty() ? " (use --skip-bad-cases to leave those cases out)" : "", ":", list);
  }
  checked.cohort = reading.cohort;
  checked.cohort.cases.clear();
  for (auto& c : reading.cohort.cases) {
    auto it = reasons.find(c.case_id);
    if (it == reasons.end())
      checked.cohort.cases.push_back(c);
    else
      checked.excluded.push_back({c.case_id, it->second});
  }
  return checked;
}

void write_check_record(const CheckedCohort& checked, const fs::path& out) {
  std::string excluded = core::csv_line({"case_id", "reason"});
  for (const auto& e : checked.excluded)
    for (const auto& reason : e.reasons) excluded += core::csv_line({e.case_id, reason});
  core::write_file_atomic(out / "excluded.csv", excluded);
  std::string warnings = core::csv_line({"case_id", "warning"});
  for (const auto& [id, warning] : checked.warnings) warnings += core::csv_line({id, warning});
  core::write_file_atomic(out / "warnings.csv", warnings);
}

}  // namespace vbiopsy::modalities
