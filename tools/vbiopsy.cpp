// The vbiopsy command line: `vbiopsy <command> [options]`; every command has --help. Cohort and
// radiomics commands run here; those that train or apply models run in vbiopsy-learn (dispatch.h).
#include "tools/commands.h"
#include "tools/dispatch.h"

int main(int argc, char** argv) {
  using namespace vbiopsy::tools;
  std::vector<Command> commands = {
      {"synth", "write the synthetic paired MG/US/MRI cohort (manifest, clinical table, images, truth/)", run_synth},
      {"validate", "load every case of a cohort and list every problem (exit 2 if any)", run_validate},
      {"radiomics", "IBSI radiomics features of one image and mask, as a long CSV (name,ibsi_id,value)", run_radiomics},
      {"filter", "an IBSI 2 convolutional filter's response map (mean, LoG, Laws, Gabor, wavelets, Simoncelli)",
       run_filter},
      {"extract", "radiomics of every case and modality into one wide CSV, cached and in parallel", run_extract},
  };
  for (const auto& c : kModelCommands) commands.push_back({c.name, c.help, nullptr});
  return dispatch(argc, argv, commands);
}
