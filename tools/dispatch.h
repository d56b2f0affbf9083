#pragma once
// The command table and main loop shared by the two programs: `vbiopsy` (cohorts and radiomics,
// without LibTorch, so it starts in a tenth of a second) and `vbiopsy-learn` (everything that
// trains or applies models), which `vbiopsy` runs for those commands. Users only call `vbiopsy`.
#include <string>
#include <vector>

namespace vbiopsy::tools {

struct Command {
  const char* name;
  const char* help;
  int (*run)(const std::vector<std::string>&);  // nullptr: run by vbiopsy-learn
};

// The commands vbiopsy-learn runs for vbiopsy, with their one-line help (both programs list them).
struct ModelCommand {
  const char* name;
  const char* help;
};
inline constexpr ModelCommand kModelCommands[] = {
    {"run", "an experiment or ablation grid: cross-validated models, predictions, metrics with CIs, DeLong, Shapley"},
    {"predict", "one new case (case folder or manifest row) through a model bundle: prediction.json and a case report"},
    {"report", "rebuild report.html (self-contained, inline SVG) from a run's files"},
    {"reproduce", "rerun a run from its run.json and report any difference in predictions.csv or metrics.json"},
    {"list", "every registered encoder, fusion method and classifier with its options"},
};

// Runs argv[1] from `commands` (its --help, errors as "vbiopsy <command>: error: ..." and exit 1);
// a command without a function is handed to vbiopsy-learn beside this program with the same
// arguments. Unknown commands and no command print the usage (exit 64).
int dispatch(int argc, char** argv, const std::vector<Command>& commands);

}  // namespace vbiopsy::tools
