#include <iostream>

#include "core/parallel.h"
#include "datasets/clinical_summary.h"
#include "datasets/manifest.h"
#include "extraction/inputs.h"
#include "modalities/cohort_check.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

namespace {

void print_clinical_summary(const datasets::Cohort& cohort) {
  std::cout << "clinical variables (given / missing: values):\n";
  for (const auto& v : datasets::summarise_clinical(cohort)) {
    std::cout << "  " << v.name << ": " << v.given << " / " << v.missing;
    if (!v.values.empty()) std::cout << ": " << v.values;
    std::cout << "\n";
  }
}

}  // namespace

int run_validate(const std::vector<std::string>& args) {
  ValidateArgs a;
  if (!parse_command_line(args, a)) return 0;

  auto reading = datasets::read_cohort(
      a.manifest, a.clinical.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.clinical));
  auto problems = reading.problems;
  const auto loaders = a.config.empty()
                           ? modalities::plain_loaders()
                           : extraction::extraction_loaders(extraction::read_cohort_extraction_settings(a.config));
  const auto checks = modalities::check_cases(reading.cohort, a.threads, loaders);
  std::vector<std::string> warnings = datasets::clinical_unit_warnings(reading.cohort);
  for (size_t i = 0; i < checks.size(); ++i) {
    problems.insert(problems.end(), checks[i].problems.begin(), checks[i].problems.end());
    for (const auto& w : checks[i].warnings) warnings.push_back("case " + reading.cohort.cases[i].case_id + ": " + w);
  }

  size_t counts[3] = {0, 0, 0}, mri = 0, mg = 0, us = 0;
  std::vector<std::string> indeterminate;
  for (const auto& c : reading.cohort.cases) {
    if (c.label.her2)
      ++counts[static_cast<int>(*c.label.her2)];
    else
      indeterminate.push_back(c.case_id);
    mri += c.mri.has_value();
    mg += c.mammography.has_value();
    us += c.ultrasound.has_value();
  }
  std::cout << a.manifest << ": " << reading.cohort.cases.size() << " cases (HER2-zero " << counts[0] << ", HER2-low "
            << counts[1] << ", HER2-positive " << counts[2] << "); MRI " << mri << ", mammography " << mg
            << ", ultrasound " << us << "\n";
  if (!indeterminate.empty()) {
    std::cout << indeterminate.size() << " indeterminate (IHC 2+ without ISH), excluded from training:";
    for (auto& id : indeterminate) std::cout << " " << id;
    std::cout << "\n";
  }
  print_clinical_summary(reading.cohort);
  if (!warnings.empty()) {
    std::cout << warnings.size() << " warning(s):\n";
    for (const auto& w : warnings) std::cout << "  " << w << "\n";
  }
  if (problems.empty()) {
    std::cout << (a.config.empty() ? "no problems found\n" : "no problems found (checked against " + a.config + ")\n");
    return 0;
  }
  std::cout << problems.size() << " problem(s):\n";
  for (auto& p : problems) std::cout << "  " << datasets::to_string(p) << "\n";
  return 2;
}

}  // namespace vbiopsy::tools
