// A clinical table joined to a fixed manifest: every spelling, unit and category parser.
#include "datasets/clinical_summary.h"
#include "datasets/manifest.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  static const std::string kManifest = "case_id,ihc\nA,0\nB,1+\nC,3+\nACRIN-6698-102212,2+/FISH-\n";
  const auto manifest =
      fuzz::write_input(reinterpret_cast<const uint8_t*>(kManifest.data()), kManifest.size(), "cases.csv");
  const auto clinical = fuzz::write_input(data, size, "clinical_input.csv");
  fuzz::expect_error_or_success([&] {
    const auto reading = datasets::read_cohort(manifest, clinical);
    datasets::summarise_clinical(reading.cohort);
    datasets::clinical_unit_warnings(reading.cohort);
  });
  return 0;
}
