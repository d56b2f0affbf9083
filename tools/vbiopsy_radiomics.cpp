// vbiopsy-radiomics: `vbiopsy radiomics` and `vbiopsy filter` of NIfTI, NRRD and MetaImage files.
// It links ITK's readers, FFTW and Qhull only (not DCMTK, OpenCV or LibTorch), so that a per-case
// call starts in milliseconds; `vbiopsy` runs vbiopsy-data instead for DICOM files and pictures.
#include "tools/commands.h"
#include "tools/run_command.h"

int main(int argc, char** argv) {
  using namespace vbiopsy::tools;
  return run_command(argc, argv, {{"radiomics", run_radiomics}, {"filter", run_filter}});
}
