// vbiopsy-learn: the commands of `vbiopsy` that train or apply models (they load LibTorch).
#include "core/runtime.h"
#include "modalities/dicom_and_pictures.h"
#include "tools/commands.h"
#include "tools/run_command.h"

int main(int argc, char** argv) {
  vbiopsy::core::retain_freed_memory();  // training reallocates its tensors every step
  vbiopsy::modalities::link_dicom_and_pictures();
  using namespace vbiopsy::tools;
  return run_command(argc, argv,
                     {{"run", run_run},
                      {"predict", run_predict},
                      {"report", run_report},
                      {"reproduce", run_reproduce},
                      {"list", run_list}});
}
