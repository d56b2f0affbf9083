// The main of the test binaries that read images (tests/CMakeLists.txt): Google Test's, after
// registering the DICOM and picture readers as the programs that read them do.
#include <gtest/gtest.h>

#include "modalities/dicom_and_pictures.h"

int main(int argc, char** argv) {
  vbiopsy::modalities::link_dicom_and_pictures();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
