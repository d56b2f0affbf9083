// Extraction settings INI files: sections, keys before any section, numbers, lists, encodings.
#include "encoders/radiomics/cohort_extraction.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  const auto file = fuzz::write_input(data, size, "settings.ini");
  fuzz::expect_error_or_success([&] { encoders::radiomics::read_cohort_extraction_settings(file); });
  return 0;
}
