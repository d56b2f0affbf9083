// vbiopsy-learn: the commands of `vbiopsy` that train or apply models (they load LibTorch). Run by
// `vbiopsy` with the user's arguments; see dispatch.h.
#include "tools/commands.h"
#include "tools/dispatch.h"

int main(int argc, char** argv) {
  using namespace vbiopsy::tools;
  return dispatch(argc, argv, {
      {"run", "an experiment or ablation grid: cross-validated models, predictions, metrics with CIs, DeLong, Shapley", run_run},
      {"predict", "one new case (case folder or manifest row) through a model bundle: prediction.json and a case report", run_predict},
      {"report", "rebuild report.html (self-contained, inline SVG) from a run's files", run_report},
      {"reproduce", "rerun a run from its run.json and report any difference in predictions.csv or metrics.json", run_reproduce},
      {"list", "every registered encoder, fusion method and classifier with its options", run_list},
  });
}
