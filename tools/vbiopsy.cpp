// The vbiopsy command line: `vbiopsy <command> [options]`; every command has --help. Cohort and
// radiomics commands run here; those that train or apply models run in vbiopsy-learn (dispatch.h).
#include "tools/commands.h"
#include "tools/dispatch.h"

int main(int argc, char** argv) {
  using namespace vbiopsy::tools;
  return dispatch(argc, argv, {
      {"synth", "write the synthetic paired MG/US/MRI cohort (manifest, clinical table, images, truth/)", run_synth},
      {"validate", "load every case of a cohort and list every problem (exit 2 if any)", run_validate},
      {"radiomics", "IBSI radiomics features of one image and mask, as a long CSV (name,ibsi_id,value)", run_radiomics},
      {"extract", "radiomics of every case and modality into one wide CSV, cached and in parallel", run_extract},
      {"run", "an experiment or ablation grid: cross-validated models, predictions, metrics with CIs, DeLong, Shapley", nullptr},
      {"predict", "one new case (case folder or manifest row) through a model bundle: prediction.json and a case report", nullptr},
      {"report", "rebuild report.html (self-contained, inline SVG) from a run's files", nullptr},
      {"reproduce", "rerun a run from its run.json and report any difference in predictions.csv or metrics.json", nullptr},
      {"list", "every registered encoder, fusion method and classifier with its options", nullptr},
  });
}
