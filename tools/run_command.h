#pragma once
// The main loop of the programs that do the work behind `vbiopsy` (tools/vbiopsy.cpp): each runs
// the commands whose libraries it links. `vbiopsy` starts them with the user's arguments, argv[0]
// stays "vbiopsy", so messages name the program the user ran.
#include <string>
#include <vector>

namespace vbiopsy::tools {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};

// Runs argv[1] from `commands` with the remaining arguments: errors as "vbiopsy <command>: error:
// ..." and exit 1; a command this program does not run is refused (exit 64).
int run_command(int argc, char** argv, const std::vector<Command>& commands);

}  // namespace vbiopsy::tools
