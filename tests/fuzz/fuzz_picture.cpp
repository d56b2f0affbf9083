// PNG (and what OpenCV detects inside it) as images and as masks, colour masks included.
#include "fuzz_input.h"
#include "modalities/dicom_and_pictures.h"
#include "modalities/image_io.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vbiopsy::modalities::link_dicom_and_pictures();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  const auto file = fuzz::write_input(data, size, "input.png");
  fuzz::expect_error_or_success([&] { modalities::read_image(file); });
  fuzz::expect_error_or_success([&] { modalities::read_mask(file); });
  return 0;
}
