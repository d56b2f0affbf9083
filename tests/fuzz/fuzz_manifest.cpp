// The cohort manifest: CSV parsing, labels, paths, box and number lists, case ids.
#include "datasets/manifest.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  const auto file = fuzz::write_input(data, size, "manifest.csv");
  fuzz::expect_error_or_success(
      [&] { datasets::read_cohort(file, std::filesystem::path("/nonexistent/clinical.csv"), true); });
  fuzz::expect_error_or_success([&] { datasets::read_cohort(file, std::nullopt, false); });
  return 0;
}
