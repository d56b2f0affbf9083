// vbiopsy-data: the cohort commands of `vbiopsy` (synth, validate, extract), and radiomics and
// filter of any format, DICOM files and pictures included. No LibTorch.
#include "modalities/dicom_and_pictures.h"
#include "tools/commands.h"
#include "tools/run_command.h"

int main(int argc, char** argv) {
  vbiopsy::modalities::link_dicom_and_pictures();
  using namespace vbiopsy::tools;
  return run_command(argc, argv,
                     {{"synth", run_synth},
                      {"validate", run_validate},
                      {"extract", run_extract},
                      {"radiomics", run_radiomics},
                      {"filter", run_filter}});
}
