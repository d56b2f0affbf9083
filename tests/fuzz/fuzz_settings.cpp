// Extraction settings INI files: sections, keys before any section, numbers, lists, encodings.
// Settings that read must also read back from their canonical text (the key of cached features)
// to the same text.
#include <cstdio>
#include <cstdlib>

#include "core/files.h"
#include "extraction/settings.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  const auto file = fuzz::write_input(data, size, "settings.ini");
  fuzz::expect_error_or_success([&] {
    const std::string canonical = extraction::write_cohort_settings(extraction::read_cohort_extraction_settings(file));
    const auto again = fuzz::scratch_folder() / "canonical.ini";
    core::write_file_atomic(again, canonical);
    if (extraction::write_cohort_settings(extraction::read_cohort_extraction_settings(again)) != canonical) {
      std::fprintf(stderr, "the canonical settings do not read back to themselves:\n%s\n", canonical.c_str());
      std::abort();
    }
  });
  return 0;
}
