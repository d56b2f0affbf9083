// NIfTI, gzipped NIfTI, NRRD and MetaImage headers and data through our checks and ITK. The first
// byte picks the format, so one corpus exercises all four.
#include "fuzz_input.h"
#include "modalities/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  if (size < 1) return 0;
  static const char* kNames[] = {"input.nii", "input.nii.gz", "input.nrrd", "input.mha"};
  const auto file = fuzz::write_input(data + 1, size - 1, kNames[data[0] % 4]);
  fuzz::expect_error_or_success([&] { modalities::read_image(file); });
  fuzz::expect_error_or_success([&] { modalities::read_mask(file); });
  return 0;
}
