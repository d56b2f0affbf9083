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

// Runs argv[1] from `commands` (its --help, errors as "vbiopsy <command>: error: ..." and exit 1);
// a command without a function is handed to vbiopsy-learn beside this program with the same
// arguments. Unknown commands and no command print the usage (exit 64).
int dispatch(int argc, char** argv, const std::vector<Command>& commands);

}  // namespace vbiopsy::tools
