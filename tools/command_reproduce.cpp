#include <iostream>

#include "experiments/reproduce.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_reproduce(const std::vector<std::string>& args) {
  ReproduceArgs a;
  if (!parse_command_line(args, a)) return 0;
  if (a.into.empty()) a.into = a.run + "/reproduced";
  std::vector<experiments::PathMap> path_maps;
  for (const auto& m : a.maps) path_maps.push_back(experiments::parse_path_map(m));
  const auto differences = experiments::reproduce_run(a.run, a.into, std::cerr, path_maps);
  if (differences.empty()) {
    std::cout << "reproduced: predictions.csv and metrics.json are byte-identical (" << a.into << ")\n";
    return 0;
  }
  for (const auto& d : differences) std::cout << "difference: " << d << "\n";
  return 3;
}

}  // namespace vbiopsy::tools
