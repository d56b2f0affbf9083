// vbiopsy-learn: the commands of `vbiopsy` that train or apply models (they load LibTorch). Run by
// `vbiopsy` with the user's arguments; see dispatch.h.
#include <map>
#include <string>

#include "core/runtime.h"
#include "tools/commands.h"
#include "tools/dispatch.h"

int main(int argc, char** argv) {
  vbiopsy::core::retain_freed_memory();  // training reallocates its tensors every step
  using namespace vbiopsy::tools;
  const std::map<std::string, int (*)(const std::vector<std::string>&)> run = {{"run", run_run},
                                                                               {"predict", run_predict},
                                                                               {"report", run_report},
                                                                               {"reproduce", run_reproduce},
                                                                               {"list", run_list}};
  std::vector<Command> commands;
  for (const auto& c : kModelCommands) commands.push_back({c.name, c.help, run.at(c.name)});
  return dispatch(argc, argv, commands);
}
