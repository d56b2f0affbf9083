// DICOM objects through DCMTK and our decoding: single- and multi-frame, every transfer syntax.
#include "fuzz_input.h"
#include "modalities/dicom/dicom_series.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vbiopsy;
  const auto file = fuzz::write_input(data, size, "input.dcm");
  fuzz::expect_error_or_success([&] { modalities::dicom::load_volume(file); });
  return 0;
}
