#include <iostream>

#include "core/parallel.h"
#include "datasets/manifest.h"
#include "modalities/cohort_check.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_validate(const std::vector<std::string>& args) {
  std::string manifest, clinical;
  unsigned threads = core::default_thread_count();
  po::options_description options("vbiopsy validate");
  options.add_options()
      ("manifest", po::value(&manifest)->required(), "cohort manifest CSV")
      ("clinical", po::value(&clinical), "clinical CSV joined by case_id (default: clinical.csv beside the manifest)")
      ("threads", po::value(&threads)->default_value(threads), "worker threads");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy validate --manifest M [--clinical C]")) return 0;

  auto reading = datasets::read_cohort(manifest, clinical.empty() ? std::nullopt : std::optional<std::filesystem::path>(clinical));
  auto problems = reading.problems;
  auto loading = modalities::check_cases(reading.cohort, threads);
  problems.insert(problems.end(), loading.begin(), loading.end());

  size_t counts[3] = {0, 0, 0}, mri = 0, mg = 0, us = 0;
  std::vector<std::string> indeterminate;
  for (const auto& c : reading.cohort.cases) {
    if (c.label.her2) ++counts[static_cast<int>(*c.label.her2)];
    else indeterminate.push_back(c.case_id);
    mri += c.mri.has_value();
    mg += c.mammography.has_value();
    us += c.ultrasound.has_value();
  }
  std::cout << manifest << ": " << reading.cohort.cases.size() << " cases (HER2-zero " << counts[0]
            << ", HER2-low " << counts[1] << ", HER2-positive " << counts[2] << "); MRI " << mri
            << ", mammography " << mg << ", ultrasound " << us << "\n";
  if (!indeterminate.empty()) {
    std::cout << indeterminate.size() << " indeterminate (IHC 2+ without ISH), excluded from training:";
    for (auto& id : indeterminate) std::cout << " " << id;
    std::cout << "\n";
  }
  if (problems.empty()) {
    std::cout << "no problems found\n";
    return 0;
  }
  std::cout << problems.size() << " problem(s):\n";
  for (auto& p : problems) std::cout << "  " << datasets::to_string(p) << "\n";
  return 2;
}

}  // namespace vbiopsy::tools
