// vbiopsy-radiomics: `vbiopsy radiomics` and `vbiopsy filter` of NIfTI, NRRD and MetaImage files.
// It links ITK's readers, FFTW and Qhull only (not DCMTK, OpenCV or LibTorch), so that a per-case
// call starts in milliseconds; `vbiopsy` runs vbiopsy-data instead for DICOM files and pictures.
#include "core/runtime.h"
#include "tools/commands.h"
#include "tools/run_command.h"

int main(int argc, char** argv) {
  // Reading a case allocates and frees several full-size buffers in turn (the compressed file, the
  // stored voxels, the converted voxels); kept for reuse, the later ones land on pages already
  // faulted in: reading brain1's label map took 14 ms, now 3 ms (page faults are slow on VMs).
  vbiopsy::core::retain_freed_memory();
  using namespace vbiopsy::tools;
  return run_command(argc, argv, {{"radiomics", run_radiomics}, {"filter", run_filter}});
}
